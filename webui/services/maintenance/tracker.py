"""Follows evacuations and restores as the watcher hears of them, whoever started them (the
dashboard or the `incus` CLI): keeps the live runs in the snapshot for the pages, and writes
each instance's change of state (not every percent) to the database."""

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from webui.audit.log import AuditLog, AuditUnavailable
from webui.clock import now
from webui.incus.client import IncusClient
from webui.incus.errors import IncusError
from webui.incus.models import UNHEARD, Event, Instance, Operation, Requestor
from webui.live.hub import Hub
from webui.live.snapshot import KEEP_FINISHED, Maintenance
from webui.live.watcher import STATE_TIMEOUT
from webui.services.accounts import people
from webui.services.activity.operations import record_outcome
from webui.services.maintenance import store
from webui.services.maintenance.runs import MaintenanceRun, advance, begin, finish, kind_of

log = logging.getLogger(__name__)
# Incus's lifecycle event once a run ended, with who asked for it.
ENDED = {"cluster-member-evacuated": "evacuate", "cluster-member-restored": "restore"}
# What a member's status says about a run that ended while no dashboard was listening.
SETTLED = {"evacuate": "Evacuated", "restore": "Online"}


def _states(run: MaintenanceRun | None) -> object:
    """What is written to the database: progress percentages are not."""
    if run is None:
        return None
    return (run.outcome, run.requestor, run.mode, tuple((s.name, s.state, s.member, s.error) for s in run.instances))


class MaintenanceTracker:
    def __init__(self, hub: Hub, client: IncusClient, engine: Engine, audit: AuditLog, cluster: str) -> None:
        self.hub = hub
        self.cluster = cluster  # the name its runs carry in the database
        self.client = client
        self.engine = engine
        self.audit = audit
        self.runs: dict[str, MaintenanceRun] = {}
        self._lock = asyncio.Lock()  # one run's writes in order

    def adopt(self, runs: Iterable[Maintenance]) -> None:
        """Take over the runs shown when this process becomes the watcher leader (they were
        the last leader's): finished ones stay on the pages for their KEEP_FINISHED."""
        self.runs = {run.operation_id: run for run in runs if isinstance(run, MaintenanceRun)}

    async def on_operation(self, operation: Operation) -> None:
        """A watcher operation handler."""
        if not kind_of(operation):
            return
        async with self._lock:
            run = self.runs.get(operation.id)
            if run is None:
                run = await asyncio.to_thread(store.load, self.engine, operation.id)
            if run is None:
                run = begin(operation, self.hub.snapshot)
                await self._note_if_outside(run, operation)
            if run.running:
                run = advance(run, operation)
                if operation.finished:
                    run = finish(run, self._judged(run, operation), await self._instances())
            await self._keep(run)

    async def on_sync(self, running: list[Operation]) -> None:
        """After the watcher (re)subscribed: runs the database says are running but Incus no
        longer has ended while no dashboard listened (a restart mid-evacuation)."""
        for operation in running:
            await self.on_operation(operation)
        seen = {op.id for op in running}
        for run in await asyncio.to_thread(store.unfinished, self.engine, self.cluster):
            if run.operation_id not in seen:
                await self._resolve(run)
        # Failures nobody acknowledged stay on the wall display, even from before a restart.
        waiting = await asyncio.to_thread(store.unacknowledged, self.engine, self.cluster)
        async with self._lock:
            for run in waiting:
                self.runs.setdefault(run.operation_id, run)
            self._publish()

    async def recheck_acknowledged(self) -> None:
        """Failures shown as unacknowledged that someone acknowledged since (on the
        Maintenance page, maybe served by another dashboard process): shown as such."""
        waiting = [key for key, run in self.runs.items() if run.unacknowledged]
        if not waiting:
            return
        seen = await asyncio.to_thread(store.acknowledgements, self.engine, waiting)
        async with self._lock:
            for key, (at, who) in seen.items():
                if key in self.runs:
                    self.runs[key] = replace(self.runs[key], acknowledged_at=at, acknowledged_by=who)
            if seen:
                self._publish()

    async def follow_acknowledgements(self, leading: Callable[[], bool], interval: float) -> None:
        """recheck_acknowledged() every `interval` while this process watches Incus (only
        the watching process publishes runs): one query a round, and only while a failure
        waits for its acknowledgement."""
        while True:
            await asyncio.sleep(interval)
            if leading():
                try:
                    await self.recheck_acknowledged()
                except SQLAlchemyError as exc:  # the database is away: try again next round
                    log.warning("acknowledgements not read: %s", exc)

    async def on_event(self, event: Event) -> None:
        """A watcher event handler: the lifecycle event at a run's end names its requestor."""
        kind = ENDED.get(event.action)
        if not kind:
            return
        member = str(event.metadata.get("source", "")).rsplit("/", 1)[-1]
        who = people.spelled(Requestor.model_validate(event.metadata.get("requestor") or {}))
        async with self._lock:
            for run in reversed(list(self.runs.values())):
                if run.member == member and run.kind == kind and not run.requestor and who:
                    await self._keep(replace(run, requestor=who))
                    break

    async def _note_if_outside(self, run: MaintenanceRun, operation: Operation) -> None:
        """A run nobody asked the dashboard for goes into the audit log as it starts, "accepted"
        as a dashboard request's would be: its outcome is then written like theirs."""
        if await asyncio.to_thread(store.asked_here, self.engine, run):
            return
        try:
            await self.audit.append_async(
                actor=store.OBSERVED_ACTOR, via=store.OBSERVED, action=run.kind, target=run.member,
                operation_id=run.operation_id, outcome="accepted",
            )
            if operation.finished:  # seen only once it had ended: the outcome handler found nothing to settle
                await record_outcome(self.audit, operation)
        except AuditUnavailable as exc:  # the banner says so; the run is followed all the same
            log.warning("%s run on %s not audited: %s", run.kind, run.member, exc)

    async def _resolve(self, run: MaintenanceRun) -> None:
        try:
            operation = await self.client.operation(run.operation_id)
        except IncusError:
            operation = Operation(id=run.operation_id, status=UNHEARD, updated_at=now())
        async with self._lock:
            await self._keep(finish(run, self._judged(run, operation), await self._instances()))

    def _judged(self, run: MaintenanceRun, operation: Operation) -> Operation:
        """An operation whose end no dashboard heard, Incus having forgotten it: the member's
        status tells how it ended."""
        if operation.status != UNHEARD:
            return operation
        member = self.hub.snapshot.member(run.member)
        status = member.status if member is not None else "gone"
        if status == SETTLED[run.kind]:
            return operation.model_copy(update={"status": "Success"})
        settled = SETTLED[run.kind].lower()
        unheard = f"It ended unheard by the dashboard, and {run.member} is {status.lower()}, not {settled}"
        return operation.model_copy(update={"status": "Failure", "err": unheard})

    async def _instances(self) -> tuple[Instance, ...]:
        """Where every instance is now (the run just ended: the snapshot may be a resync behind).
        Asked with the watcher's timeout for lists every member answers: the watcher reads
        no event meanwhile, and a member slow to answer must not hold the run's end."""
        try:
            return tuple(await self.client.instances(timeout=STATE_TIMEOUT))
        except IncusError as exc:
            log.info("instances not read at a run's end: %s", exc.message)
            return self.hub.snapshot.instances

    async def _keep(self, run: MaintenanceRun) -> None:
        before = self.runs.get(run.operation_id)
        if before is None or not run.running:  # the dashboard user who asked, if one did
            run = await asyncio.to_thread(store.asked_from_dashboard, self.engine, run)
        self.runs[run.operation_id] = run
        if _states(before) != _states(run):
            await asyncio.to_thread(store.save, self.engine, self.cluster, run)
        self._publish()

    def _publish(self) -> None:
        at = now()
        self.runs = {
            key: run
            for key, run in self.runs.items()
            if run.running or run.ended_at is None or at - run.ended_at < KEEP_FINISHED or run.unacknowledged
        }
        shown = tuple(sorted(self.runs.values(), key=lambda r: (r.started_at or at, r.operation_id)))
        snapshot = self.hub.snapshot
        if shown != snapshot.maintenance:
            self.hub.update(snapshot.evolve(maintenance=shown))
