from webui.incus.models import Event
from webui.live import cluster_events
from webui.live.snapshot import ClusterSnapshot


def lifecycle(action: str, source: str, requestor: dict | None = None) -> Event:
    return Event(type="lifecycle", location="m1", metadata={"action": action, "source": source, "requestor": requestor})


def test_migrations_incus_made_by_itself_are_kept_and_bounded():
    snapshot = ClusterSnapshot()
    for i in range(cluster_events.KEEP_MIGRATIONS + 5):
        snapshot = cluster_events.apply(snapshot, lifecycle("instance-migrated", f"/1.0/instances/c{i}"))
    assert len(snapshot.rebalanced) == cluster_events.KEEP_MIGRATIONS
    assert snapshot.rebalanced[-1].metadata["source"] == "/1.0/instances/c24"


def test_migrations_a_user_asked_for_are_not_rebalancing():
    event = lifecycle("instance-migrated", "/1.0/instances/c1", {"username": "admin", "protocol": "unix"})
    assert cluster_events.apply(ClusterSnapshot(), event) is None


def test_other_events_change_nothing():
    assert cluster_events.apply(ClusterSnapshot(), lifecycle("config-updated", "/1.0")) is None
