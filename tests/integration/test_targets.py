"""An event that names one member or instance: the watcher fetches that one and patches the
snapshot, without a full resync (live/targets.py)."""

from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from devcluster import CONTAINER_PREFIX
from tests.conftest import Dashboard, edit_member, wait_until

pytestmark = pytest.mark.cluster

ONE_MEMBER = "/1.0/cluster/members/{name}"
ALL_MEMBERS = "/1.0/cluster/members"


@pytest.fixture(scope="module")
def resting(cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A dashboard whose periodic resync and state round are minutes apart: whatever it asks
    Incus during a test, an event made it ask."""
    server = Dashboard(
        cluster.settings_file,
        tmp_path_factory.mktemp("resting") / "webui.db",
        INCUS_WEBUI_POLL_INTERVAL="600",
        INCUS_WEBUI_STATE_INTERVAL="600",
    )
    # Subscribed to events: the watcher lists operations right after it subscribes.
    wait_until(lambda: asked(server, "/1.0/operations") > 0, timeout=30)
    yield server
    server.stop()


def asked(server: Dashboard, endpoint: str) -> float:
    """GET requests sent to Incus so far on `endpoint` (none yet: no sample, 0)."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(server.get("/metrics").text)
        for sample in family.samples
        if sample.name == "incus_webui_upstream_request_duration_seconds_count"
        and (sample.labels["method"], sample.labels["endpoint"]) == ("GET", endpoint)  # and its cluster
    )


def test_a_member_event_fetches_that_member_and_patches_its_row(cluster, resting, restore_description):
    name = restore_description
    before_one, before_all = asked(resting, ONE_MEMBER), asked(resting, ALL_MEMBERS)
    with resting.stream("/stream?topic=members") as stream:
        stream.wait_for(lambda f: f.event == "members", timeout=5)
        edit_member(cluster, name, description="patched by its event")
        stream.wait_for(lambda f: f.event == f"member-{name}" and "patched by its event" in f.data, timeout=5)
    assert asked(resting, ONE_MEMBER) == before_one + 1
    assert asked(resting, ALL_MEMBERS) == before_all  # no full resync
    assert resting.admin.get(f"/api/v1/cluster/members/{name}").json()["metadata"]["description"] == (
        "patched by its event"
    )


def test_an_instance_event_fetches_that_instance(cluster, resting):
    """Once per event. (Updating an instance is an operation, and a finished operation still
    wakes a full resync: an evacuation or a migration moves instances.)"""
    name = f"{CONTAINER_PREFIX}1"
    before = asked(resting, "/1.0/instances/{name}")
    try:
        cluster.incus("config", "set", name, "user.targeted=1")
        wait_until(lambda: asked(resting, "/1.0/instances/{name}") == before + 1, timeout=5, interval=0.1)
    finally:
        cluster.incus("config", "unset", name, "user.targeted")
    wait_until(lambda: asked(resting, "/1.0/instances/{name}") == before + 2, timeout=5, interval=0.1)
