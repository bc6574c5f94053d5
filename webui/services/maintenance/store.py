"""Maintenance runs in the database. Every dashboard process sharing it hears the same events
and writes the same values: rows are keyed on Incus's operation id (and the instance), inserted
if absent, so there is one row per run and per instance however many processes write."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webui.clock import now
from webui.models import AuditRecord, Base, MaintenanceStep
from webui.models import MaintenanceRun as RunRow
from webui.services.maintenance.runs import FAILED_RUN, RUNNING, InstanceStep, MaintenanceRun


def insert_if_absent(engine: Engine, row: Base) -> bool:
    """Insert a row unless one with the same unique key exists (another process was first)."""
    try:
        with Session(engine) as session, session.begin():
            session.add(row)
    except IntegrityError:
        return False
    return True


def save(engine: Engine, cluster: str, run: MaintenanceRun) -> None:
    """Write `cluster`'s run and its instances as they are now."""
    insert_if_absent(
        engine,
        RunRow(
            cluster=cluster,
            operation_id=run.operation_id,
            member=run.member,
            kind=run.kind,
            mode=run.mode,
            requestor=run.requestor,
            started_at=run.started_at or now(),
            outcome=run.outcome,
            error="",
        ),
    )
    with Session(engine) as session:
        run_id = session.scalars(select(RunRow.id).where(RunRow.operation_id == run.operation_id)).one()
        known = set(
            session.execute(
                select(MaintenanceStep.project, MaintenanceStep.name).where(MaintenanceStep.run_id == run_id)
            )
        )
    for position, step in enumerate(run.instances):
        if (step.project, step.name) not in known:
            insert_if_absent(
                engine,
                MaintenanceStep(
                    run_id=run_id,
                    position=position,
                    project=step.project,
                    name=step.name,
                    state=step.state,
                    member=step.member,
                    error=step.error,
                ),
            )
    with Session(engine) as session, session.begin():
        row = session.get_one(RunRow, run_id)
        row.outcome, row.ended_at, row.error = run.outcome, run.ended_at, run.error
        row.mode, row.requestor = run.mode or row.mode, run.requestor or row.requestor
        steps = {
            (s.project, s.name): s
            for s in session.scalars(select(MaintenanceStep).where(MaintenanceStep.run_id == run_id))
        }
        for step in run.instances:
            stored = steps[(step.project, step.name)]
            stored.state, stored.member, stored.error = step.state, step.member, step.error


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands times back without their zone: they were stored in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _run(session: Session, row: RunRow) -> MaintenanceRun:
    steps = session.scalars(
        select(MaintenanceStep).where(MaintenanceStep.run_id == row.id).order_by(MaintenanceStep.position)
    )
    return MaintenanceRun(
        operation_id=row.operation_id,
        member=row.member,
        kind=row.kind,
        started_at=_utc(row.started_at),
        instances=tuple(InstanceStep(s.project, s.name, s.state, s.member, error=s.error) for s in steps),
        outcome=row.outcome,
        error=row.error,
        ended_at=_utc(row.ended_at),
        mode=row.mode,
        requestor=row.requestor,
        acknowledged_at=_utc(row.acknowledged_at),
        acknowledged_by=row.acknowledged_by,
    )


def _asked(session: Session, operation_ids: list[str]) -> dict[str, AuditRecord]:
    """The "accepted" audit record of each run asked from the dashboard: who, and in what mode."""
    records = session.scalars(
        select(AuditRecord).where(
            AuditRecord.operation_id.in_(operation_ids),
            AuditRecord.outcome == "accepted",
            AuditRecord.via != OBSERVED,  # a run the CLI started, recorded as seen: nobody's here
        )
    )
    return {record.operation_id: record for record in records if record.operation_id}


def _from_dashboard(run: MaintenanceRun, record: AuditRecord | None) -> MaintenanceRun:
    if record is None:
        return run
    return replace(run, account=record.actor, mode=str((record.parameters or {}).get("mode", "")) or run.mode)


def _runs(session: Session, rows: list[RunRow]) -> list[MaintenanceRun]:
    asked = _asked(session, [row.operation_id for row in rows])
    return [_from_dashboard(_run(session, row), asked.get(row.operation_id)) for row in rows]


def load(engine: Engine, operation_id: str) -> MaintenanceRun | None:
    with Session(engine) as session:
        rows = list(session.scalars(select(RunRow).where(RunRow.operation_id == operation_id)))
        return next(iter(_runs(session, rows)), None)


@dataclass(frozen=True)
class Filters:
    member: str = ""
    kind: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


def search(engine: Engine, cluster: str, filters: Filters = Filters()) -> list[MaintenanceRun]:
    """`cluster`'s runs, newest first, narrowed by member, kind, outcome and start time."""
    query = select(RunRow).where(RunRow.cluster == cluster)
    query = query.order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(filters.limit)
    if filters.member:
        query = query.where(RunRow.member == filters.member)
    if filters.kind:
        query = query.where(RunRow.kind == filters.kind)
    if filters.outcome:
        query = query.where(RunRow.outcome == filters.outcome)
    if filters.since:
        query = query.where(RunRow.started_at >= filters.since)
    if filters.until:
        query = query.where(RunRow.started_at <= filters.until)
    with Session(engine) as session:
        return _runs(session, list(session.scalars(query)))


def unfinished(engine: Engine, cluster: str) -> list[MaintenanceRun]:
    return search(engine, cluster, Filters(outcome=RUNNING))


# The "via" of the audit records of a run nobody asked the dashboard for (the incus CLI, another
# client), written as the watcher sees it start: never taken for a dashboard user's request.
OBSERVED = "incus"
OBSERVED_ACTOR = "outside the dashboard"  # Incus names who asked only once the run has ended
# How long a dashboard request may wait for Incus's answer and still be the run that starts.
ASKING = timedelta(minutes=2)


def asked_here(engine: Engine, run: MaintenanceRun) -> bool:
    """Whether a dashboard user asked for this run. Incus's operation does not say who started
    it, and the watcher can hear of it before the request's "accepted" names it (the reply is
    still on its way): a recent "requested" of the run's kind on its member counts, unless it
    was answered otherwise (refused, or another operation)."""
    with Session(engine) as session:
        asked = select(AuditRecord.id).where(
            AuditRecord.action == run.kind,
            AuditRecord.target == run.member,
            AuditRecord.outcome == "requested",
            AuditRecord.at >= now() - ASKING,
        )
        answered_otherwise = select(AuditRecord.request_id).where(
            AuditRecord.request_id.in_(asked), AuditRecord.operation_id != run.operation_id
        )
        pending = asked.where(AuditRecord.id.not_in(answered_otherwise))
        return session.scalar(pending.limit(1)) is not None


def asked_from_dashboard(engine: Engine, run: MaintenanceRun) -> MaintenanceRun:
    """The run with the dashboard user and mode, when it was asked from the dashboard."""
    with Session(engine) as session:
        return _from_dashboard(run, _asked(session, [run.operation_id]).get(run.operation_id))


def audit_records(engine: Engine, operation_id: str) -> list[AuditRecord]:
    """The audit records of a run, oldest first: "requested" (written before Incus answered,
    so found through the records that name the operation), "accepted", and its outcome."""
    with Session(engine) as session:
        named = list(session.scalars(select(AuditRecord).where(AuditRecord.operation_id == operation_id)))
        asked = {r.request_id for r in named if r.request_id} - {r.id for r in named}
        if asked:
            named += session.scalars(select(AuditRecord).where(AuditRecord.id.in_(asked)))
        return sorted(named, key=lambda r: r.id)


def acknowledge(engine: Engine, operation_id: str, who: str, at: datetime) -> MaintenanceRun | None:
    """Note that `who` saw a failed run; None unless it is a failure not yet acknowledged
    (the first acknowledgement stands, whichever process took it)."""
    with Session(engine) as session, session.begin():
        row = session.scalars(
            select(RunRow).where(
                RunRow.operation_id == operation_id, RunRow.outcome == FAILED_RUN, RunRow.acknowledged_at.is_(None)
            )
        ).one_or_none()
        if row is None:
            return None
        row.acknowledged_at, row.acknowledged_by = at, who
        session.flush()
        return _run(session, row)


def unacknowledged(engine: Engine, cluster: str, limit: int = 100) -> list[MaintenanceRun]:
    """`cluster`'s failed runs nobody has acknowledged, newest first."""
    query = (
        select(RunRow)
        .where(RunRow.cluster == cluster, RunRow.outcome == FAILED_RUN, RunRow.acknowledged_at.is_(None))
        .order_by(RunRow.started_at.desc(), RunRow.id.desc())
        .limit(limit)
    )
    with Session(engine) as session:
        return [_run(session, row) for row in session.scalars(query)]


def acknowledgements(engine: Engine, operation_ids: list[str]) -> dict[str, tuple[datetime, str]]:
    """When and by whom each of these runs was acknowledged, for those that were."""
    query = select(RunRow.operation_id, RunRow.acknowledged_at, RunRow.acknowledged_by).where(
        RunRow.operation_id.in_(operation_ids), RunRow.acknowledged_at.is_not(None)
    )
    with Session(engine) as session:
        return {op_id: (when, by) for op_id, at, by in session.execute(query) if (when := _utc(at)) is not None}
