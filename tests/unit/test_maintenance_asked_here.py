"""Whether an evacuation the watcher sees start was asked from the dashboard, or from outside it
(the incus CLI): Incus's operation does not say, and the dashboard's "accepted" may come after
the watcher heard of the operation. Runs from outside are audited as they start."""

import asyncio
from contextlib import nullcontext
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from webui import db
from webui.audit.log import AuditLog
from webui.identity import Actor, Identity
from webui.incus.models import Operation
from webui.live.hub import Hub
from webui.models import AuditRecord
from webui.services.maintenance import store
from webui.services.maintenance.runs import MaintenanceRun
from webui.services.maintenance.tracker import MaintenanceTracker

ALICE = Actor(Identity("alice", "operator", "session"), "127.0.0.1")
RUN = MaintenanceRun("op-1", "member2", "evacuate", None)
STARTED = Operation(id="op-1", description="Evacuating cluster member", status="Running", location="member2")


@pytest.fixture
def engine(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    yield engine
    engine.dispose()


def ask(audit: AuditLog, action: str = "evacuate", target: str = "member2", answer: str | None = None) -> None:
    """A dashboard request as members.change_state makes it: "requested", then (unless still
    waiting for Incus) "accepted" with the operation Incus answered with, or "failed"."""

    async def request() -> None:
        async with audit.action(ALICE, action, target, {"mode": "auto"}) as entry:
            if answer == "refused":
                raise RuntimeError("Incus refused")
            if answer is not None:
                entry.operation_id = answer

    if answer is None:  # Incus has not answered yet: only "requested" is written
        audit.append(**ALICE.fields(), action=action, target=target, outcome="requested")
        return
    with pytest.raises(RuntimeError) if answer == "refused" else nullcontext():
        asyncio.run(request())


@pytest.mark.parametrize("answer", [None, "op-1"])
def test_a_run_the_dashboard_asked_for_is_its_own_before_and_after_incus_answered(engine, answer):
    audit = AuditLog(engine, b"k" * 32)
    ask(audit, answer=answer)
    assert store.asked_here(engine, RUN)


@pytest.mark.parametrize(
    ("action", "target", "answer"),
    [
        ("evacuate", "member2", "refused"),  # that request failed: this run came from elsewhere
        ("evacuate", "member2", "op-0"),  # that request was another run
        ("restore", "member2", None),  # another kind
        ("evacuate", "member3", None),  # another member
    ],
)
def test_a_run_nobody_asked_the_dashboard_for_is_from_outside(engine, action, target, answer):
    audit = AuditLog(engine, b"k" * 32)
    ask(audit, action, target, answer)
    assert not store.asked_here(engine, RUN)


def records(engine: Engine) -> list[tuple[str, str, str, str, str]]:
    with Session(engine) as session:
        rows = session.scalars(select(AuditRecord).order_by(AuditRecord.id))
        return [(r.actor, r.via, r.action, r.outcome, r.operation_id) for r in rows]


class NoIncus:
    async def instances(self, timeout: float | None = None) -> list:
        return []


def test_a_run_from_the_cli_is_audited_as_it_starts_and_once(engine):
    audit = AuditLog(engine, b"k" * 32)
    tracker = MaintenanceTracker(Hub(lambda template, context: ""), NoIncus(), engine, audit, "c1")  # type: ignore[arg-type]
    asyncio.run(tracker.on_operation(STARTED))
    asyncio.run(tracker.on_operation(STARTED.model_copy(update={"metadata": {"evacuation_progress": "x"}})))
    assert records(engine) == [("outside the dashboard", "incus", "evacuate", "accepted", "op-1")]
    assert store.load(engine, "op-1").requestor == ""  # not taken for a dashboard user's


def test_a_run_asked_from_the_dashboard_is_not_audited_twice(engine):
    audit = AuditLog(engine, b"k" * 32)
    ask(audit, answer=None)
    tracker = MaintenanceTracker(Hub(lambda template, context: ""), NoIncus(), engine, audit, "c1")  # type: ignore[arg-type]
    asyncio.run(tracker.on_operation(STARTED))
    assert [r[3] for r in records(engine)] == ["requested"]


def test_a_run_from_the_cli_seen_only_once_ended_gets_its_outcome_too(engine):
    audit = AuditLog(engine, b"k" * 32)
    tracker = MaintenanceTracker(Hub(lambda template, context: ""), NoIncus(), engine, audit, "c1")  # type: ignore[arg-type]
    asyncio.run(tracker.on_operation(STARTED.model_copy(update={"status": "Success"})))
    assert [r[3] for r in records(engine)] == ["accepted", "succeeded"]
