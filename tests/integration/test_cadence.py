"""Member state asked for adaptively (live/cadence.py): every round for members whose page is
open, in turns for the others."""

import pytest

from tests.conftest import Dashboard, wait_until

pytestmark = pytest.mark.cluster


def has_state(server: Dashboard, name: str) -> bool:
    return server.admin.get(f"/api/v1/cluster/members/{name}/state").status_code == 200


def test_only_members_whose_page_is_open_are_asked_when_the_budget_is_spent(cluster, tmp_path):
    """With no budget for the others, the member whose page is open gets its state and the
    other members none."""
    server = Dashboard(
        cluster.settings_file, tmp_path / "webui.db", INCUS_WEBUI_STATE_BUDGET="0", INCUS_WEBUI_STATE_INTERVAL="1"
    )
    try:
        wait_until(lambda: server.admin.get("/api/v1/cluster/members").status_code == 200, timeout=30)
        with server.stream("/stream?topic=member:member2"):
            wait_until(lambda: has_state(server, "member2"), timeout=15, interval=0.2)
            assert not has_state(server, "member1") and not has_state(server, "member3")
    finally:
        server.stop()


def test_every_member_is_asked_while_the_cluster_is_within_the_budget(cluster, dashboard):
    for name in ("member1", "member2", "member3"):
        wait_until(lambda name=name: has_state(dashboard, name), timeout=15, interval=0.2)
