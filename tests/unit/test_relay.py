"""The snapshot relay's pure parts: every field survives the trip through JSON with its type,
only changed fields are sent, and NOTIFY carries values only when they fit its 8,000 bytes."""

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.unit.replies import recorded_warnings
from webui.incus.models import (
    ClusterGroup,
    ConfigMetadata,
    Event,
    Instance,
    Member,
    MemberState,
    Operation,
    Server,
    SysInfo,
)
from webui.live.relay import PAYLOAD_LIMIT, SnapshotCodec, conninfo, notification, parse
from webui.live.snapshot import ClusterSnapshot, FencingState, Firing
from webui.services.maintenance.runs import InstanceStep, MaintenanceRun

UNIT = Path(__file__).parent / "recorded"
CODEC = SnapshotCodec({"maintenance": tuple[MaintenanceRun, ...]})
AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def busy_snapshot() -> ClusterSnapshot:
    """A snapshot with something in every relayed field, from replies recorded from Incus."""
    running = json.loads((UNIT / "operations_join_token.json").read_text())["metadata"]["running"]
    events = [Event.model_validate_json(line) for line in (UNIT / "evacuation_events.jsonl").read_text().splitlines()]
    metadata_reply = json.loads((UNIT.parent.parent / "recorded" / "metadata_configuration_6.0.4.json").read_text())
    run = MaintenanceRun(
        "op-1", "member2", "evacuate", AT, (InstanceStep("default", "c1", "moved", "member1", 100),), mode="auto"
    )
    server = Server(config={"cluster.healing_threshold": "30"}, api_extensions=["clustering"], environment={"a": 1})
    return ClusterSnapshot(
        members=(Member(server_name="member1", status="Online", roles=["database"], is_leader=True),),
        states={"member1": MemberState(sysinfo=SysInfo(uptime=5))},
        cpus={"member1": 4},
        instances=(Instance(name="c1", location="member1"),),
        operations=tuple(Operation.model_validate(op) for op in running),
        server_name="member1",
        endpoint="https://127.0.0.1:8443",
        reachable=True,
        error="the last error, kept for the test",
        updated_at=AT,
        server=server,
        servers={"member1": server},
        silent=frozenset({"member3"}),
        healed=frozenset({"member2"}),
        rebalanced=tuple(events),
        fencing=FencingState("fence-bmc", "https://bmc.example", (Firing("healed-hook", "member2", AT, "exit 3"),)),
        metadata=ConfigMetadata.from_incus("6.0.4", metadata_reply),
        groups=(ClusterGroup(name="default", members=["member1"]),),
        maintenance=(run,),
        warnings=tuple(recorded_warnings()),
        trust_store={"661f7f0d9c3df39e70fa8d4f2a43d4dc26e5cdc0620d2cb8358ea4380b538c09": "incus-webui"},
    )


def test_every_field_comes_back_equal_and_typed():
    before = busy_snapshot()
    empty = ClusterSnapshot()
    assert [name for name in CODEC.names if getattr(before, name) == getattr(empty, name)] == []
    # Through JSON text, as the database and NOTIFY carry it.
    values = json.loads(json.dumps(CODEC.dump(before, CODEC.names)))
    after = ClusterSnapshot().evolve(**CODEC.load(values))
    for name in CODEC.names:
        assert getattr(after, name) == getattr(before, name), name
    assert isinstance(after.maintenance[0], MaintenanceRun) and after.maintenance[0].running
    assert after.operations[0].class_ == before.operations[0].class_ != ""


def test_the_version_stays_each_process_own():
    assert "version" not in CODEC.names
    assert "version" not in CODEC.load({"version": 7, "server_name": "m1"})


def test_only_changed_fields_are_sent():
    before = busy_snapshot()
    assert CODEC.changed(None, before) == list(CODEC.names)
    assert CODEC.changed(before, before.evolve()) == []
    # A field rebuilt equal (the state round makes a new dict each time) is not sent again.
    assert CODEC.changed(before, before.evolve(states=dict(before.states), updated_at=AT.replace(minute=1))) == [
        "updated_at"
    ]


def test_a_field_this_version_does_not_know_is_skipped():
    assert CODEC.load({"from_a_newer_leader": 1, "reachable": True}) == {"reachable": True}


def test_small_changes_travel_in_the_notification():
    values = CODEC.dump(busy_snapshot(), ["updated_at", "reachable"])
    assert parse(notification(values)) == (values, [])


def test_large_changes_name_the_rows_to_read():
    values = CODEC.dump(busy_snapshot(), ["metadata", "updated_at"])
    payload = notification(values)
    assert len(payload.encode()) < PAYLOAD_LIMIT
    assert parse(payload) == ({}, ["metadata", "updated_at"])


def test_the_libpq_address_drops_sqlalchemy_driver_name():
    url = "postgresql+psycopg://webui:s%40cret@db.example:5433/webui?sslmode=require"
    assert conninfo(url) == "postgresql://webui:s%40cret@db.example:5433/webui?sslmode=require"
