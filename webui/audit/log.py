"""Writing and reading the audit log.

Each record carries the hash of the one before it, signed with the audit key (an HMAC whose
key lives outside the database, webui/audit/keys.py), so altering, inserting or deleting a
record breaks the chain, and nobody without the key can forge a new one; checkpoints of the
head, also outside the database, show when the newest records were cut off (verify.py).
Appends are serialized across processes: `BEGIN IMMEDIATE` on SQLite, a transaction-level
advisory lock on PostgreSQL, and the database refuses two records with one predecessor.

When a record cannot be written the action it records is refused (AuditUnavailable, answered
503 with a banner): nothing changes without its record. Reads go on."""

import copy
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from prometheus_client import Counter
from sqlalchemy import Engine, String, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from webui.audit.keys import Checkpoint, Checkpoints, key_id
from webui.audit.records import CLUSTER, GENESIS, HASHED, cluster_of, loaded, record_hash, utc_text
from webui.clock import now
from webui.db import IMMEDIATE
from webui.identity import Actor
from webui.models import AuditRecord

if TYPE_CHECKING:
    from webui.audit.verify import Verdict

log = logging.getLogger(__name__)

_ADVISORY_LOCK = 0x1AC05  # any fixed number, the same in every process
UNKNOWN = "outcome unknown: dashboard was down"
UNHEARD_END = "outcome unknown: Incus forgot the operation before the dashboard heard how it ended"
UNKNOWN_OUTCOMES = (UNKNOWN, UNHEARD_END)


_LENGTHS = {
    c.name: c.type.length for c in AuditRecord.__table__.columns if isinstance(c.type, String) and c.type.length
}


class AuditUnavailable(RuntimeError):
    """The record could not be written, so the action it was for must not happen: answered
    503 with the reason (routes treat it as one of the services' refusals)."""

    status = 503

    def __init__(self, problem: str) -> None:
        self.message = f"Refused: {problem}. Nothing is changed until it can be written; pages still show the cluster."
        super().__init__(self.message)


@dataclass
class Entry:
    """An action in progress; set `operation_id` when Incus answers with an operation, and
    add to `parameters` what is learnt on the way (recorded with the outcome)."""

    request_id: int
    operation_id: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Shared:
    """What every view of one log (the dashboard's, each cluster's) sees alike."""

    problem: str = ""  # why the last append failed, until one succeeds (the banner shows it)
    verdict: "Verdict | None" = None  # the latest full check, shown on the audit page
    since_checkpoint: int = 0


class AuditLog:
    def __init__(
        self,
        engine: Engine,
        key: bytes,
        checkpoints: Checkpoints | None = None,
        checkpoint_every: int = 1,
        on_append: Callable[[AuditRecord], object] | None = None,
    ) -> None:
        self.engine = engine
        self.key = key
        self.key_id = key_id(key)
        self.checkpoints = checkpoints
        self.checkpoint_every = max(1, checkpoint_every)
        self.on_append: list[Callable[[AuditRecord], object]] = [on_append] if on_append else []
        self.cluster = ""  # the cluster its records name ("" for the dashboard's own)
        self._shared = _Shared()
        self._lock = threading.Lock()
        self.appends = Counter("incus_webui_audit_appends", "Audit records written.", registry=None)
        self.failures = Counter(
            "incus_webui_audit_append_failures", "Audit records that could not be written.", registry=None
        )

    def of_cluster(self, cluster: str) -> "AuditLog":
        """The same log (one chain, one lock, one state) whose records name `cluster`: what a
        cluster's services write through."""
        scoped = copy.copy(self)
        scoped.cluster = cluster
        return scoped

    @property
    def problem(self) -> str:
        return self._shared.problem

    @problem.setter
    def problem(self, value: str) -> None:
        self._shared.problem = value

    @property
    def verdict(self) -> "Verdict | None":
        return self._shared.verdict

    @verdict.setter
    def verdict(self, value: "Verdict | None") -> None:
        self._shared.verdict = value

    def append(self, **fields: Any) -> AuditRecord:
        """Write one record; AuditUnavailable when it cannot be written."""
        with self._chain() as db:
            record = self._add(db, fields)
        self._appended(record)
        return record

    @contextmanager
    def _chain(self) -> Iterator[Session]:
        """A transaction that alone may extend the chain (see the module docstring)."""
        try:
            with self._lock, Session(self.engine.execution_options(**IMMEDIATE)) as db, db.begin():
                if self.engine.dialect.name == "postgresql":
                    db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
                yield db
        except SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc  # the database's own words, without SQLAlchemy's wrapping
            self.failures.inc()
            self.problem = f"the audit log cannot be written ({type(exc).__name__}: {cause})"
            log.error("%s", self.problem)
            raise AuditUnavailable(self.problem) from exc

    def _add(self, db: Session, fields: dict[str, Any]) -> AuditRecord:
        fields.setdefault("at", now())
        for name in (
            "actor", "role", "via", "source_address", "forwarded_for", "user_agent", "target", "operation_id", "error",
        ):
            fields.setdefault(name, "")
        fields.setdefault("parameters", {})
        fields.setdefault("request_id", None)
        if self.cluster:  # else left to the database (a log from before 0011 has no such column)
            fields.setdefault(CLUSTER, self.cluster)
        fields["key_id"] = self.key_id
        # What requests bring (user agent, path, Incus's words) can outgrow a column: cut it to
        # fit before it is hashed, rather than fail the write (PostgreSQL enforces lengths).
        for name, length in _LENGTHS.items():
            if isinstance(fields.get(name), str):
                fields[name] = fields[name][:length]
        prev = db.scalar(select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)) or GENESIS
        record = AuditRecord(**fields, prev_hash=prev, hash=record_hash(prev, fields, self.key))
        db.add(record)
        db.flush()
        db.expunge(record)
        return record

    def _appended(self, record: AuditRecord) -> None:
        """After the commit: the checkpoint (a failure here refuses the action too: the log
        could be cut unseen) and whoever listens (the live page, syslog)."""
        self.appends.inc()
        self._shared.since_checkpoint += 1
        # The first record always: a log with records and no checkpoint at all was cut.
        if self._shared.since_checkpoint >= self.checkpoint_every or record.prev_hash == GENESIS:
            self.checkpoint(record)
        self.problem = ""
        for listener in self.on_append:
            listener(record)

    def checkpoint(self, record: AuditRecord | None = None) -> None:
        """Write the chain's head (`record`, else the newest) to the checkpoints outside the
        database; `db upgrade` does it once for a log that existed before the key did."""
        if self.checkpoints is None:
            return
        if record is None:
            with Session(self.engine) as db:
                record = db.scalar(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(1))
            if record is None:
                return
        try:
            self.checkpoints.write(Checkpoint(record.id, record.hash, utc_text(record.at) + "Z"))
        except OSError as exc:
            self.problem = f"the audit checkpoint cannot be written ({exc})"
            log.error("%s", self.problem)
            raise AuditUnavailable(self.problem) from exc
        self._shared.since_checkpoint = 0

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

    def operation_finished(self, operation_id: str, succeeded: bool, error: str) -> None:
        """The real outcome of an operation the dashboard started, found by its id. Called by
        the watcher when the operation ends, by the action in case it ended first, and at
        startup for those that ended while no dashboard ran: the check and the append share
        one transaction that holds the chain, so it is written once whatever the processes."""
        with self._chain() as db:
            accepted = db.scalar(
                select(AuditRecord).where(AuditRecord.operation_id == operation_id, AuditRecord.outcome == "accepted")
            )
            done = db.scalar(
                select(func.count()).where(
                    AuditRecord.operation_id == operation_id,
                    AuditRecord.outcome.in_(("succeeded", "failed", "unknown")),
                )
            )
            if accepted is None or done:
                return
            copied = ("actor", "role", "via", "source_address", "forwarded_for", "user_agent", "action", "target")
            fields = {k: getattr(accepted, k) for k in copied}
            record = self._add(
                db,
                {
                    **fields,
                    "parameters": accepted.parameters,
                    "operation_id": operation_id,
                    "outcome": "succeeded" if succeeded else ("unknown" if error in UNKNOWN_OUTCOMES else "failed"),
                    "error": error,
                    "request_id": accepted.request_id,
                },
            )
        self._appended(record)

    def unsettled(self) -> list[str]:
        """Operations recorded "accepted" with no outcome yet (startup reconciles them)."""
        done = select(AuditRecord.operation_id).where(AuditRecord.outcome.in_(("succeeded", "failed", "unknown")))
        with Session(self.engine) as db:
            query = select(AuditRecord.operation_id).where(
                AuditRecord.outcome == "accepted", AuditRecord.operation_id.not_in(done)
            )
            return list(db.scalars(query))

    def denied(self, actor: Actor, action: str, target: str, reason: str) -> None:
        self.append(**actor.fields(), action=action, target=target, outcome="denied", error=reason)


@dataclass(frozen=True)
class AuditQuery:
    """The audit page's filters; empty means any."""

    actor: str = ""
    action: str = ""
    target: str = ""
    outcome: str = ""
    cluster: str = ""
    since: datetime | None = None
    until: datetime | None = None
    within: tuple[str, ...] | None = None  # the only clusters whose records may come back ("": the dashboard's own)

    def apply(self, query: Any) -> Any:
        for column, value in (
            (AuditRecord.actor, self.actor),
            (AuditRecord.action, self.action),
            (AuditRecord.target, self.target),
            (AuditRecord.outcome, self.outcome),
            (AuditRecord.cluster, self.cluster),
        ):
            if value:
                query = query.where(column == value)
        if self.within is not None:
            query = query.where(AuditRecord.cluster.in_(self.within))
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
        rows = db.scalars(
            loaded(query.apply(select(AuditRecord)), db).order_by(AuditRecord.id.desc()).offset(offset).limit(limit)
        )
        return list(rows), total


EXPORTED = ("id", *HASHED, CLUSTER, "prev_hash", "hash")


def as_dict(record: AuditRecord) -> dict[str, Any]:
    values = {k: getattr(record, k) for k in EXPORTED if k != CLUSTER} | {CLUSTER: cluster_of(record)}
    return {k: (utc_text(v) + "Z" if isinstance(v, datetime) else v) for k, v in values.items()}
