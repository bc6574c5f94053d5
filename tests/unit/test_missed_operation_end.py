"""An operation whose last event never reached the dashboard (the stream reconnecting, or the
event lost between members) must not stay "Running" on the pages, hold up the member's buttons,
or leave its maintenance run and audit record open. The watcher asks Incus; Incus's replies
here are the ones a real 6.0.4 sent (`evacuation_events.jsonl`, and its 404 for an operation it
had forgotten)."""

import asyncio
from pathlib import Path

from tests.unit.replies import evacuation_updates
from webui import db
from webui.audit.log import AuditLog
from webui.clock import now
from webui.incus.errors import IncusError
from webui.incus.models import UNHEARD, Instance, Member, Operation
from webui.live.hub import Hub
from webui.live.snapshot import ClusterSnapshot
from webui.live.watcher import QUIET_OPERATION, Watcher
from webui.services.maintenance import store as maintenance_store
from webui.services.maintenance.tracker import MaintenanceTracker

# Incus's reply to GET /1.0/operations/<id> seconds after the operation ended (cmd/incusd/operations.go).
FORGOTTEN = (404, "Operation not found")


def ended_just_now(operation: Operation) -> Operation:
    """The recorded final update as if sent a moment ago (the snapshot keeps outcomes a while)."""
    return operation.model_copy(update={"updated_at": now()})


class Incus:
    """The requests made to catch up on operations (and, at a run's end, where the instances
    are), answered as recorded."""

    def __init__(self, running: list[Operation], known: dict[str, Operation]) -> None:
        self.running, self.known = running, known
        self.asked: list[str] = []
        self.placed: list[Instance] = []

    async def instances(self, timeout: float | None = None) -> list[Instance]:
        return self.placed

    async def operations(self) -> list[Operation]:
        return self.running

    async def operation(self, operation_id: str) -> Operation:
        self.asked.append(operation_id)
        if operation_id not in self.known:
            raise IncusError(*FORGOTTEN)
        return self.known[operation_id]


def watching(incus: Incus, shown: Operation, status: str) -> tuple[Watcher, list[Operation]]:
    """A watcher whose snapshot shows `shown` running on member2, itself `status`; and the
    operation updates its services heard."""
    hub = Hub(lambda template, context: "")
    hub.update(ClusterSnapshot(members=(Member(server_name="member2", status=status),), operations=(shown,)))
    heard: list[Operation] = []

    async def hear(operation: Operation) -> None:
        heard.append(operation)

    return Watcher(incus, hub, on_operation=[hear]), heard  # type: ignore[arg-type]


def test_an_end_missed_while_away_is_read_from_incus_on_reconnecting():
    updates = evacuation_updates()
    running, ended = updates[2], ended_just_now(updates[-1])
    assert running.status == "Running" and ended.status == "Success"
    incus = Incus(running=[], known={ended.id: ended})
    watcher, heard = watching(incus, running, "Evacuated")

    asyncio.run(watcher.sync_operations())

    assert incus.asked == [ended.id]
    assert watcher.hub.snapshot.operation(ended.id).status == "Success"
    assert heard == [ended]


def test_one_incus_has_forgotten_ends_unheard_and_one_still_listed_is_not_asked_about():
    updates = evacuation_updates()
    incus = Incus(running=[updates[2]], known={})
    watcher, heard = watching(incus, updates[2], "Online")

    asyncio.run(watcher.sync_operations())
    assert incus.asked == [] and heard == []
    assert watcher.hub.snapshot.operation(updates[2].id).status == "Running"

    incus.running = []
    asyncio.run(watcher.sync_operations())
    shown = watcher.hub.snapshot.operation(updates[2].id)
    assert shown.status == UNHEARD and shown.finished
    assert [op.status for op in heard] == [UNHEARD]


def test_a_quiet_operation_is_asked_about_without_any_reconnection(monkeypatch):
    """The stream stayed up, but the final event was lost between members."""
    updates = evacuation_updates()
    running, ended = updates[2], ended_just_now(updates[-1])
    incus = Incus(running=[running], known={ended.id: ended})
    watcher, heard = watching(incus, running, "Evacuated")
    clock = [1000.0]

    async def rounds() -> None:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "time", lambda: clock[0])
        await watcher.recheck_quiet()  # first seen now: not quiet yet
        clock[0] += QUIET_OPERATION + 1
        await watcher.recheck_quiet()  # quiet, but Incus still lists it: nothing to ask
        assert incus.asked == [] and heard == []
        incus.running = []
        clock[0] += 1
        await watcher.recheck_quiet()  # asked a moment ago: not yet again
        assert incus.asked == []
        clock[0] += QUIET_OPERATION + 1
        await watcher.recheck_quiet()

    asyncio.run(rounds())
    assert incus.asked == [ended.id] and heard == [ended]
    assert watcher.hub.snapshot.operation(ended.id).status == "Success"


def run_after_unheard_end(tmp_path: Path, member_status: str):
    """The maintenance run of an evacuation whose every event was missed, and whose end
    Incus no longer remembers: made from the operation the dashboard's own request got."""
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    started = evacuation_updates()[0]
    incus = Incus(running=[], known={})
    watcher, _ = watching(incus, started, member_status)
    incus.placed = [Instance(name="c1", location="member2", status="Stopped")]
    tracker = MaintenanceTracker(watcher.hub, incus, engine, AuditLog(engine, b"k" * 32), "c1")  # type: ignore[arg-type]
    watcher.on_operation.append(tracker.on_operation)
    asyncio.run(watcher.sync_operations())
    run = maintenance_store.load(engine, started.id)
    engine.dispose()
    return run


def test_a_run_that_ended_unheard_is_judged_by_the_member_status(tmp_path):
    run = run_after_unheard_end(tmp_path, "Evacuated")
    assert run is not None and run.outcome == "succeeded" and not run.error


def test_a_run_that_ended_unheard_with_the_member_unsettled_failed_and_says_why(tmp_path):
    run = run_after_unheard_end(tmp_path, "Online")
    assert run is not None and run.outcome == "failed"
    assert run.error == "It ended unheard by the dashboard, and member2 is online, not evacuated"
