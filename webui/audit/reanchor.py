"""Rewriting records the audit log should never have kept (secret values, migration 0007), and
re-anchoring the chain afterwards.

A rewritten record no longer matches its hash, nor does any record after it match its
`prev_hash`: the chain is re-signed from the first rewritten record on, with the audit key
(so whoever lacks the key still cannot do the same unseen), the checkpoints of those records
are re-signed to match, and a record says what was done and why, with the head the chain had
before (a copy kept elsewhere, syslog say, still names it). A chain that does not verify
before is refused, not re-signed: that would launder whatever broke it."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from webui.audit.keys import Checkpoint, Checkpoints, key_id
from webui.audit.records import loaded, record_hash, signed_fields, utc_text
from webui.audit.verify import verify
from webui.clock import now
from webui.models import AuditRecord


@dataclass(frozen=True)
class Reanchored:
    rewritten: list[int]  # the records whose parameters changed
    anchor_id: int | None  # the record that says so; None when nothing needed rewriting


def rewrite(
    connection: Connection,
    key: bytes,
    checkpoints: Checkpoints,
    scrub: Callable[[Any], tuple[Any, bool]],
    reason: str,
    by: str,
) -> Reanchored:
    """Pass every record's parameters through `scrub`; when any changed, re-sign the chain and
    append the record that says so (`reason`, done `by`)."""
    with Session(bind=connection) as db:
        records = list(db.scalars(loaded(select(AuditRecord), db).order_by(AuditRecord.id)))
        scrubbed = {r.id: scrub(r.parameters) for r in records}
        rewritten = [r.id for r in records if scrubbed[r.id][1]]
        if not rewritten:
            return Reanchored([], None)
        # A log from before the key has no checkpoints yet (`db upgrade` writes the first).
        legacy = not checkpoints.path.exists() and not any(r.key_id for r in records)
        verdict = verify(connection, key, None if legacy else checkpoints)
        if verdict.problem:
            raise RuntimeError(
                f"the audit log does not verify ({verdict.problem}): secret values in it are left as they "
                "are; run `incus-webui audit verify`, export the log, and start a new one before upgrading"
            )
        if foreign := {r.key_id for r in records if r.key_id and r.key_id != key_id(key)}:
            raise RuntimeError(f"audit records are signed with other keys ({', '.join(sorted(foreign))})")
        old_head = records[-1]
        old = {"id": old_head.id, "hash": old_head.hash}
        prev, first = records[0].prev_hash, rewritten[0]
        new_hashes: dict[int, str] = {}
        for record in records:
            if record.id >= first:
                if record.id in rewritten:
                    record.parameters = scrubbed[record.id][0]
                record.prev_hash = prev
                record.hash = record_hash(prev, signed_fields(record), key if record.key_id else None)
                new_hashes[record.id] = record.hash
                # One record at a time: the database refuses two records with one predecessor.
                db.flush()
            prev = record.hash
        anchor = _append(db, key, prev, reason, by, rewritten, old)
        db.flush()
        _reanchor_checkpoints(checkpoints, new_hashes)
        checkpoints.write(Checkpoint(anchor.id, anchor.hash, utc_text(anchor.at) + "Z"))
        db.commit()
        return Reanchored(rewritten, anchor.id)


def _append(
    db: Session, key: bytes, prev: str, reason: str, by: str, rewritten: list[int], old: dict[str, Any]
) -> AuditRecord:
    fields: dict[str, Any] = {
        "at": now(), "actor": by, "role": "", "via": "cli",
        "source_address": "", "forwarded_for": "", "user_agent": "", "action": "re-anchor-audit-log",
        "target": "audit-log", "operation_id": "", "outcome": "succeeded", "error": "", "request_id": None,
        "parameters": {"reason": reason, "rewritten": rewritten, "re_signed_from": rewritten[0], "old_head": old},
        "key_id": key_id(key),
    }
    record = AuditRecord(**fields, prev_hash=prev, hash=record_hash(prev, fields, key))
    db.add(record)
    return record


def _reanchor_checkpoints(checkpoints: Checkpoints, new_hashes: dict[int, str]) -> None:
    """The checkpoints of re-signed records, signed again with their new hashes."""
    found, problem = checkpoints.read()
    if problem:  # verify() read the same file a moment ago
        raise RuntimeError(problem)
    kept = [Checkpoint(c.id, new_hashes.get(c.id, c.hash), c.at) for c in found]
    checkpoints.replace(kept)
