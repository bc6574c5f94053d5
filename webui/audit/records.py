"""What an audit record's hash covers and how it is computed: the chain's rules, apart from
the log that appends to it (log.py) and the checks that walk it (verify.py, reanchor.py), so
each of those depends on the rules and none on the other."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session, undefer

from webui.audit.keys import sign
from webui.models import AuditRecord

GENESIS = "0" * 64
# The fields a record's hash covers. Records written before the key existed (key_id "") were
# hashed over LEGACY_HASHED with plain SHA-256; see migrations/versions/0004.
LEGACY_HASHED = (
    "at",
    "actor",
    "role",
    "via",
    "source_address",
    "user_agent",
    "action",
    "target",
    "parameters",
    "operation_id",
    "outcome",
    "error",
    "request_id",
)
HASHED = (*LEGACY_HASHED, "forwarded_for", "key_id")
# The cluster a record is about (webui/clusters.py): signed when it names one, so the records
# from before clusters had names (and the dashboard's own, such as a login) verify unchanged.
CLUSTER = "cluster"


def utc_text(value: datetime) -> str:
    """One spelling of a time for the hash, whatever the database hands back."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def record_hash(prev_hash: str, fields: dict[str, Any], key: bytes | None) -> str:
    """HMAC-SHA256 with the audit key; plain SHA-256 (key None) for records from before it."""
    names = HASHED if key is not None else LEGACY_HASHED
    content = {k: (utc_text(v) if isinstance(v, datetime) else v) for k, v in fields.items() if k in names}
    if key is not None and fields.get(CLUSTER):
        content[CLUSTER] = fields[CLUSTER]
    payload = prev_hash + json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return sign(key, payload) if key is not None else hashlib.sha256(payload.encode()).hexdigest()


def cluster_of(record: AuditRecord) -> str:
    """The cluster a record names, as loaded (`loaded`): "" before 0011, or for none."""
    return str(record.__dict__.get(CLUSTER) or "")


def signed_fields(record: AuditRecord) -> dict[str, Any]:
    """What a record's hash covers, as the record holds it (to check or re-sign it)."""
    return {k: getattr(record, k) for k in HASHED} | {CLUSTER: cluster_of(record)}


def loaded(query: Any, db: Session) -> Any:
    """`query` of records with each one's cluster, where the log has that column (from
    migration 0011 on; the migrations before it read the log as well)."""
    if any(column["name"] == CLUSTER for column in inspect(db.connection()).get_columns("audit_log")):
        return query.options(undefer(AuditRecord.cluster))
    return query
