"""Members that stop answering: shown OFFLINE, and the dashboard moves to another member."""


import pytest

from tests.conftest import edit_member
from tests.integration.conftest import wait_until
from tests.sse import Stream

pytestmark = pytest.mark.cluster


def api_status(dashboard, name: str) -> str:
    reply = dashboard.get(f"/api/v1/cluster/members/{name}")
    return reply.json()["metadata"]["status"] if reply.status_code == 200 else ""


def test_a_frozen_member_shows_offline_then_online_again(cluster, dashboard):
    name = "member3"
    with Stream(dashboard.url + "/stream?topic=members") as stream:
        cluster.freeze(name)
        try:
            frame = stream.wait_for(
                lambda f: f.event == f"member-{name}" and "OFFLINE" in f.data, timeout=60
            )
            assert "No heartbeat" in frame.data  # Incus's own message
        finally:
            cluster.thaw(name)
        stream.wait_for(lambda f: f.event == f"member-{name}" and "ONLINE" in f.data, timeout=60)


def test_the_dashboard_moves_on_when_its_member_stops(cluster, dashboard, restore_description):
    in_use = dashboard.wait_healthy()["member"]
    other = next(m for m in cluster.members if m not in (in_use, restore_description))
    cluster.freeze(in_use)
    try:
        health = wait_until(
            lambda: (h := dashboard.get("/healthz").json())["member"] not in ("", in_use)
            and h["incus_reachable"]
            and h,
            timeout=90,
        )
        assert health["endpoint"] != cluster.url(in_use)
        with Stream(dashboard.url + "/stream?topic=members") as stream:
            edit_member(cluster, restore_description, via=other, description="after failover")
            stream.wait_for(lambda f: "after failover" in f.data, timeout=20)
    finally:
        cluster.thaw(in_use)
    wait_until(lambda: api_status(dashboard, in_use) == "Online", timeout=60)
