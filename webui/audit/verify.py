"""Checking the audit log: every record follows the one before it, signed with the audit key,
and every checkpoint kept outside the database still matches a record (none was cut off).

`incus-webui audit verify` runs it; the audit page shows its latest result."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from webui.audit.keys import Checkpoints, key_id
from webui.audit.records import GENESIS, loaded, record_hash, signed_fields
from webui.clock import now
from webui.models import AuditRecord


@dataclass(frozen=True)
class Verdict:
    records: int
    last_id: int | None  # the newest record that verified
    problem: str  # "" when the chain is whole
    checked_at: datetime

    @property
    def ok(self) -> bool:
        return not self.problem


def verify(engine: Engine | Connection, key: bytes, checkpoints: Checkpoints | None) -> Verdict:
    """The whole chain, from its first record, then the checkpoints against it (`engine` may
    be a connection in a transaction: a migration's)."""
    expected_key = key_id(key)
    # Ids may have gaps (a PostgreSQL sequence skips on rollback); the hashes may not.
    prev, prev_id, count, keyed = GENESIS, None, 0, False
    hashes: dict[int, str] = {}

    def verdict(problem: str) -> Verdict:
        return Verdict(count, prev_id, problem, now())

    with Session(engine) as db:
        for record in db.scalars(loaded(select(AuditRecord), db).order_by(AuditRecord.id)).yield_per(1000):
            count += 1
            if record.prev_hash != prev:
                after = f"record {prev_id}" if prev_id is not None else "the start of the log"
                return verdict(f"record {record.id} does not follow {after}: a record was removed or altered")
            if record.key_id:
                if record.key_id != expected_key:
                    # The key's id cut as fingerprints are shown: enough to tell keys apart.
                    return verdict(f"record {record.id} is signed with another key ({record.key_id[:8]})")
                keyed = True
            elif keyed:
                return verdict(f"record {record.id} is unsigned, after signed ones: it was forged")
            if record_hash(prev, signed_fields(record), key if record.key_id else None) != record.hash:
                return verdict(f"record {record.id} was altered")
            prev, prev_id = record.hash, record.id
            hashes[record.id] = record.hash
    if checkpoints is None:
        return verdict("")
    found, problem = checkpoints.read()
    if problem:
        return verdict(problem)
    anchor = checkpoints.anchor()
    if not count and anchor:
        return verdict(
            f"the log has no records, but the audit key has signed some (its file keeps its first checkpoint, "
            f"record {anchor.id} at {anchor.at}): records were cut off the log"
            + ("" if found else f", and {checkpoints.path} removed")
        )
    if count and not found:
        return verdict(f"the log has {count} records and no checkpoint: {checkpoints.path} was removed")
    for checkpoint in ([anchor] if anchor else []) + found:
        if checkpoint.id not in hashes:
            return verdict(
                f"record {checkpoint.id}, the chain's head at {checkpoint.at}, is missing: "
                "records were cut off the end of the log"
            )
        if hashes[checkpoint.id] != checkpoint.hash:
            return verdict(f"record {checkpoint.id} is not the one checkpointed at {checkpoint.at}")
    return verdict("")
