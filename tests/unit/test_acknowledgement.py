"""A failed run's acknowledgement lives in the database, where every dashboard process reads it."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from webui import db
from webui.services.maintenance import runs as m
from webui.services.maintenance import store

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def failed(operation_id: str = "op-1") -> m.MaintenanceRun:
    return m.MaintenanceRun(
        operation_id=operation_id, member="m1", kind=m.EVACUATE, started_at=AT, outcome="failed",
        error="CRIU isn't installed", ended_at=AT + timedelta(seconds=5),
    )


def test_the_first_acknowledgement_of_a_failure_stands(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    store.save(engine, "c1", failed())
    succeeded = m.MaintenanceRun(operation_id="ok", member="m2", kind=m.RESTORE, started_at=AT, outcome="succeeded")
    store.save(engine, "c1", succeeded)
    assert [run.operation_id for run in store.unacknowledged(engine, "c1")] == ["op-1"]
    seen = store.acknowledge(engine, "op-1", "alice", AT + timedelta(minutes=1))
    assert seen is not None and (seen.acknowledged_by, seen.unacknowledged) == ("alice", False)
    assert store.acknowledge(engine, "op-1", "bob", AT + timedelta(minutes=2)) is None
    assert store.acknowledge(engine, "ok", "bob", AT) is None  # only failures wait for one
    assert store.acknowledgements(engine, ["op-1", "ok"]) == {"op-1": (AT + timedelta(minutes=1), "alice")}
    assert store.unacknowledged(engine, "c1") == []
    engine.dispose()


def test_failures_from_before_acknowledgements_existed_raise_no_alarm(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    db.upgrade(url, "0008")
    engine = db.make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO maintenance_runs (operation_id, member, kind, mode, requestor, started_at, outcome, error)"
                " VALUES ('old', 'm1', 'evacuate', '', '', '2026-12-01 10:00:00', 'failed', 'gone')"
            )
        )
    db.upgrade(url)
    db.adopt_unnamed_rows(engine, "c1")  # as the first cluster served does (0010)
    assert [run.operation_id for run in store.search(engine, "c1")] == ["old"]
    assert store.unacknowledged(engine, "c1") == []
    engine.dispose()
