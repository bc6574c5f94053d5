"""Writing, reading and verifying the audit log.

Each record carries the hash of the one before it (SHA-256 over its fields and that hash),
so altering or deleting a record breaks the chain from there on. Appends are serialized:
a lock in the process, and on PostgreSQL a transaction-level advisory lock, so two
dashboard processes sharing one database still write one unbroken chain."""

import hashlib
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
from prometheus_client import Counter
from sqlalchemy import Engine, String, func, select, text
from sqlalchemy.orm import Session

from webui.clock import now
from webui.identity import Actor
from webui.incus.models import Operation
from webui.models import AuditRecord

GENESIS = "0" * 64
_ADVISORY_LOCK = 0x1AC05  # any fixed number, the same in every process
HASHED = (
    "at", "actor", "role", "via", "source_address", "user_agent", "action", "target",
    "parameters", "operation_id", "outcome", "error", "request_id",
)


def _utc(value: datetime) -> str:
    """One spelling of a time for the hash, whatever the database hands back."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


_LENGTHS = {
    c.name: c.type.length for c in AuditRecord.__table__.columns if isinstance(c.type, String) and c.type.length
}


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    content = {k: (_utc(v) if isinstance(v, datetime) else v) for k, v in fields.items() if k in HASHED}
    payload = prev_hash + json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class Entry:
    """An action in progress; set `operation_id` when Incus answers with an operation, and
    add to `parameters` what is learnt on the way (recorded with the outcome)."""

    request_id: int
    operation_id: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)


class AuditLog:
    def __init__(self, engine: Engine, on_append: Callable[[AuditRecord], object] | None = None) -> None:
        self.engine = engine
        self.on_append = on_append
        self._lock = threading.Lock()
        self.appends = Counter("incus_webui_audit_appends", "Audit records written.", registry=None)
        self.failures = Counter(
            "incus_webui_audit_append_failures", "Audit records that could not be written.", registry=None
        )

    def append(self, **fields: Any) -> AuditRecord:
        with self.failures.count_exceptions(), self._chain() as db:
            record = self._add(db, fields)
        self.appends.inc()
        self._appended(record)
        return record

    @contextmanager
    def _chain(self) -> Iterator[Session]:
        """A transaction that alone may extend the chain (see the module docstring)."""
        with self._lock, Session(self.engine) as db, db.begin():
            if self.engine.dialect.name == "postgresql":
                db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
            yield db

    @staticmethod
    def _add(db: Session, fields: dict[str, Any]) -> AuditRecord:
        fields.setdefault("at", now())
        for name in ("actor", "role", "via", "source_address", "user_agent", "target", "operation_id", "error"):
            fields.setdefault(name, "")
        fields.setdefault("parameters", {})
        fields.setdefault("request_id", None)
        # What requests bring (user agent, path, Incus's words) can outgrow a column: cut it to
        # fit before it is hashed, rather than fail the write (PostgreSQL enforces lengths).
        for name, length in _LENGTHS.items():
            if isinstance(fields.get(name), str):
                fields[name] = fields[name][:length]
        prev = db.scalar(select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)) or GENESIS
        record = AuditRecord(**fields, prev_hash=prev, hash=record_hash(prev, fields))
        db.add(record)
        db.flush()
        db.expunge(record)
        return record

    def _appended(self, record: AuditRecord) -> None:
        if self.on_append:
            self.on_append(record)

    async def append_async(self, **fields: Any) -> AuditRecord:
        return await anyio.to_thread.run_sync(lambda: self.append(**fields))

    @asynccontextmanager
    async def action(
        self, actor: Actor, action: str, target: str, parameters: dict[str, Any] | None = None
    ) -> AsyncIterator[Entry]:
        """Record "requested" before anything is sent to Incus, then the outcome: "failed"
        with Incus's error, "succeeded", or, for an operation, "accepted" now and the real
        outcome when the watcher sees the operation end (operation_finished)."""
        base = {**actor.fields(), "action": action, "target": target}
        requested = await self.append_async(**base, parameters=parameters or {}, outcome="requested")
        entry = Entry(requested.id, parameters=dict(parameters or {}))
        try:
            yield entry
        except Exception as exc:  # recorded, then raised on: the outcome must not go missing
            # str() of Incus's errors and of the dashboard's refusals is their message.
            await self.append_async(
                **base, parameters=entry.parameters, outcome="failed", error=str(exc), request_id=requested.id
            )
            raise
        outcome = "accepted" if entry.operation_id else "succeeded"
        await self.append_async(
            **base,
            parameters=entry.parameters,
            outcome=outcome,
            operation_id=entry.operation_id,
            request_id=requested.id,
        )

    def operation_finished(self, operation: Operation) -> None:
        """The real outcome of an operation the dashboard started, found by its id. Called by
        the watcher when the operation ends, and by the action in case it ended first: the
        check and the append share one locked transaction, so it is written once."""
        with self._chain() as db:
            accepted = db.scalar(
                select(AuditRecord).where(AuditRecord.operation_id == operation.id, AuditRecord.outcome == "accepted")
            )
            done = db.scalar(
                select(func.count()).where(
                    AuditRecord.operation_id == operation.id, AuditRecord.outcome.in_(("succeeded", "failed"))
                )
            )
            if accepted is None or done:
                return
            copied = ("actor", "role", "via", "source_address", "user_agent", "action", "target", "parameters")
            fields = {k: getattr(accepted, k) for k in copied}
            record = self._add(
                db,
                {
                    **fields,
                    "operation_id": operation.id,
                    "outcome": "succeeded" if operation.status == "Success" else "failed",
                    "error": operation.err,
                    "request_id": accepted.request_id,
                },
            )
        self._appended(record)

    def denied(self, actor: Actor, action: str, target: str, reason: str) -> None:
        self.append(**actor.fields(), action=action, target=target, outcome="denied", error=reason)

    def recent_failures(self, name: str, address: str, window: timedelta) -> tuple[int, int]:
        """Failed logins lately (for login throttling): for this name, and from this address."""
        since = now() - window
        failed = (
            (AuditRecord.action == "login") & AuditRecord.outcome.in_(("failed", "denied")) & (AuditRecord.at > since)
        )
        with Session(self.engine) as db:
            by_name = db.scalar(select(func.count()).where(failed, AuditRecord.target == name)) or 0
            by_address = db.scalar(select(func.count()).where(failed, AuditRecord.source_address == address)) or 0
        return int(by_name), int(by_address)

    def verify(self) -> tuple[int, str]:
        """(records checked, "" or why the first bad one is bad)."""
        # Ids may have gaps (a PostgreSQL sequence skips on rollback); the hashes may not.
        prev, prev_id, count = GENESIS, None, 0
        with Session(self.engine) as db:
            for record in db.scalars(select(AuditRecord).order_by(AuditRecord.id)).yield_per(1000):
                count += 1
                if record.prev_hash != prev:
                    after = f"record {prev_id}" if prev_id is not None else "the start of the log"
                    return count, f"record {record.id} does not follow {after}: a record was removed or altered"
                if record_hash(prev, {k: getattr(record, k) for k in HASHED}) != record.hash:
                    return count, f"record {record.id} was altered"
                prev, prev_id = record.hash, record.id
        return count, ""


@dataclass(frozen=True)
class AuditQuery:
    """The audit page's filters; empty means any."""

    actor: str = ""
    action: str = ""
    target: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Any) -> Any:
        for column, value in (
            (AuditRecord.actor, self.actor),
            (AuditRecord.action, self.action),
            (AuditRecord.target, self.target),
            (AuditRecord.outcome, self.outcome),
        ):
            if value:
                query = query.where(column == value)
        if self.since:
            query = query.where(AuditRecord.at >= self.since)
        if self.until:
            query = query.where(AuditRecord.at <= self.until)
        return query


def search(
    engine: Engine, query: AuditQuery, offset: int = 0, limit: int | None = 50
) -> tuple[list[AuditRecord], int]:
    """Newest first, with the total count for pagination."""
    with Session(engine) as db:
        total = int(db.scalar(query.apply(select(func.count()).select_from(AuditRecord))) or 0)
        rows = db.scalars(query.apply(select(AuditRecord)).order_by(AuditRecord.id.desc()).offset(offset).limit(limit))
        return list(rows), total


EXPORTED = ("id", *HASHED, "prev_hash", "hash")


def as_dict(record: AuditRecord) -> dict[str, Any]:
    values = {k: getattr(record, k) for k in EXPORTED}
    return {k: (_utc(v) + "Z" if isinstance(v, datetime) else v) for k, v in values.items()}
