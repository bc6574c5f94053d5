"""The guided rolling upgrade: on the test cluster (one version everywhere), what it offers,
in which order, and what it says after Cancel; through a real Incus 6.0 -> 7.0 upgrade of every
member, on a throwaway cluster: the page evacuates the first member, waits while it is
upgraded, notices it waiting in Incus's blocked state and explains it, survives a dashboard
restart, goes on member by member and restores the first one once every member runs 7.0."""

import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import Dashboard, wait_until
from tests.upgrade_rig import UpgradeRig

pytestmark = [pytest.mark.cluster]


def shown(dashboard: Dashboard) -> str:
    """The page's text, as a person reads it."""
    html = dashboard.admin.get("/upgrade", headers={"HX-Request": "true", "HX-Target": "upgrade-status"}).text
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def wait_shown(dashboard: Dashboard, *phrases: str, timeout: float = 120) -> str:
    """The page's text once it shows every phrase; on a timeout, what it showed instead."""
    last = ""

    def showing() -> str:
        nonlocal last
        last = shown(dashboard)
        return last if all(p in last for p in phrases) else ""

    try:
        return wait_until(showing, timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"the page never showed {phrases}; it showed: {last}") from None


def planned_order(dashboard: Dashboard) -> list[str]:
    """The members in the order the guide takes them: its table's rows."""
    html = dashboard.admin.get("/upgrade", headers={"HX-Request": "true", "HX-Target": "upgrade-status"}).text
    return re.findall(r"<tr><td>([\w-]+)", html)


def test_with_one_version_everywhere_there_is_nothing_to_upgrade(dashboard: Dashboard, session, server_fetched):
    """Seen on a real cluster: Start was offered with every member on one version, and
    started at once, with nothing to upgrade to."""
    text = wait_shown(dashboard, "there is nothing to upgrade")
    assert re.search(r"Every member runs Incus 6\.0\.\d+: there is nothing to upgrade\.", text), text
    assert "Start the guided upgrade" not in text
    reply = session.post("/upgrade/start", data={"mode": "skip"})
    assert reply.status_code == 409, reply.text
    assert "name the newer version you are about to install" in reply.text
    assert "Cancel the guided upgrade" not in shown(dashboard)


def test_the_dashboards_member_comes_last_and_after_cancel_no_row_tells_anyone_to_act(
    dashboard: Dashboard, session, server_fetched
):
    """Seen on a real cluster: the order started with the member the dashboard talks to
    (also the database leader), and after Cancel its row still said "upgrade it now"."""
    talking_to = httpx.get(dashboard.url + "/healthz", timeout=15).json()["member"]
    members = session.api("GET", "/cluster/members?recursion=1").json()["metadata"]
    leader = next(m["server_name"] for m in members if "database-leader" in m["roles"])
    dialog = session.client.get("/upgrade/start", params={"mode": "skip", "target": "99.0"}).text
    assert "Upgrade 3 members from Incus 6.0." in dialog and "to 99.0, one at a time, in this order" in dialog
    # Mode skip: the guide moves no instance, so the shared test cluster is left as it is.
    reply = session.post("/upgrade/start", data={"mode": "skip", "target": "99.0"})
    assert reply.status_code == 200, reply.text
    try:
        wait_shown(dashboard, "upgrade it now")
        order = planned_order(dashboard)
        assert sorted(order) == sorted(m["server_name"] for m in members) and order[-1] == talking_to, order
        if leader != talking_to:
            assert order[-2] == leader, order
        text = shown(dashboard)
        assert f"{talking_to} Last: the dashboard talks to this member" in text, text
    finally:
        cancelled = session.post("/upgrade/cancel")
    assert cancelled.status_code == 200, cancelled.text
    text = shown(dashboard)
    assert "The last guided upgrade was cancelled" in text
    assert "the guide was cancelled before it was upgraded" in text
    for order_word in ("upgrade it now", "restore it", "restoring"):
        assert order_word not in text, text


@pytest.mark.lts7
def test_a_guided_upgrade_from_6_0_to_7_0_member_by_member(upgrade_rig: UpgradeRig, tmp_path: Path):
    rig, dashboard = upgrade_rig, upgrade_rig.dashboard
    wait_shown(dashboard, "there is nothing to upgrade", "Plan an upgrade")  # once every member's version is read
    reply = dashboard.admin.post(
        "/upgrade/start", data={"mode": "stop", "target": "7.0"}, headers={"HX-Request": "true"}
    )
    assert reply.status_code == 200, reply.text
    # The member the dashboard talks to (and the database leader) go last: the order is the plan's.
    names = planned_order(dashboard)
    first = names[0]
    wait_shown(dashboard, f"Now: {first} · upgrade it now", "0/3 done")
    assert rig.cluster.member_status(first) == "Evacuated"

    # A dashboard restart: the guide resumes from the database.
    dashboard.stop()
    dashboard = Dashboard(
        rig.cluster.settings_file, tmp_path / "restarted.db", database_url=dashboard.database_url, port=dashboard.port
    )
    try:
        wait_shown(dashboard, f"Now: {first} · upgrade it now")
        assert rig.upgrade(first) == "waiting"
        rig.wait_blocked(names[1:])
        text = wait_shown(
            dashboard,
            "Member 2 of 3",
            f"Now: {names[1]} · upgrade it now",
            "not evacuated: the cluster is blocked mid-upgrade",
            "The cluster is in Incus's blocked state",
            "Needs updating to newer version",
        )
        assert "upgraded; blocked until every member runs the new version" in text
        assert rig.upgrade(names[1]) == "waiting"
        wait_shown(dashboard, f"Now: {names[2]} · upgrade it now")
        assert rig.upgrade(names[2]) == "ready"
        # Every member back on 7.0: the first, evacuated, is restored. Its container stopped in
        # place may not start on this host's 7.0 (see devcluster); then Incus's reason shows.
        text = wait_until(
            lambda: (t := shown(dashboard)) and ("finished (3/3" in t or "failed ·" in t) and t, timeout=240
        )
        if "finished (3/3" in text:
            assert rig.cluster.member_status(first) == "Online"
        else:
            assert re.search(rf"{first} .* failed · \S+", text), text
        # The members that waited answer again a few seconds after the last upgrade.
        # (The name's cell may say why it came last: no "·" in that.)
        back = [re.compile(rf"{name}(?: [^·]*?)? 6\.0\.\d+ 7\.0\.\d+") for name in names]
        wait_until(lambda: all(pattern.search(shown(dashboard)) for pattern in back))
        audit = dashboard.get("/audit.json", params={"action": "evacuate"}).json()
        assert [(r["target"], r["actor"], r["outcome"]) for r in audit if r["outcome"] != "requested"][-1][:2] == (
            first,
            "alice",
        )
    finally:
        dashboard.stop()
