"""The guided rolling upgrade through a real Incus 6.0 -> 7.0 upgrade of every member, on a
throwaway cluster: the page evacuates member1, waits while it is upgraded, notices it waiting
in Incus's blocked state and explains it, survives a dashboard restart, goes on member by member
and restores member1 once every member runs 7.0."""

import re
from pathlib import Path

import pytest

from tests.conftest import Dashboard, UpgradeRig, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.lts7]


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


def test_a_guided_upgrade_from_6_0_to_7_0_member_by_member(upgrade_rig: UpgradeRig, tmp_path: Path):
    rig, dashboard = upgrade_rig, upgrade_rig.dashboard
    names = list(rig.cluster.members)
    wait_shown(dashboard, "Start the guided upgrade")  # once every member's version is read
    reply = dashboard.admin.post("/upgrade/start", data={"mode": "stop"}, headers={"HX-Request": "true"})
    assert reply.status_code == 200, reply.text
    wait_shown(dashboard, "Now: member1 · upgrade it now", "0/3 done")
    assert rig.cluster.member_status("member1") == "Evacuated"

    # A dashboard restart: the guide resumes from the database.
    dashboard.stop()
    dashboard = Dashboard(
        rig.cluster.settings_file, tmp_path / "restarted.db", database_url=dashboard.database_url, port=dashboard.port
    )
    try:
        wait_shown(dashboard, "Now: member1 · upgrade it now")
        assert rig.upgrade("member1") == "waiting"
        rig.wait_blocked(names[1:])
        text = wait_shown(
            dashboard,
            "Member 2 of 3",
            "Now: member2 · upgrade it now",
            "not evacuated: the cluster is blocked mid-upgrade",
            "The cluster is in Incus's blocked state",
            "Needs updating to newer version",
        )
        assert "upgraded; blocked until every member runs the new version" in text
        assert rig.upgrade("member2") == "waiting"
        wait_shown(dashboard, "Now: member3 · upgrade it now")
        assert rig.upgrade("member3") == "ready"
        # Every member back on 7.0: member1, evacuated, is restored. Its container stopped in
        # place may not start on this host's 7.0 (see devcluster); then Incus's reason shows.
        text = wait_until(
            lambda: (t := shown(dashboard)) and ("finished (3/3" in t or "failed ·" in t) and t, timeout=240
        )
        if "finished (3/3" in text:
            assert rig.cluster.member_status("member1") == "Online"
        else:
            assert re.search(r"member1 .* failed · \S+", text), text
        # The members that waited answer again a few seconds after the last upgrade.
        wait_until(lambda: all(re.search(rf"{name} 6\.0\.\d+ 7\.0\.\d+", shown(dashboard)) for name in names))
        audit = dashboard.get("/audit.json", params={"action": "evacuate"}).json()
        assert [(r["target"], r["actor"], r["outcome"]) for r in audit if r["outcome"] != "requested"][-1][:2] == (
            "member1",
            "alice",
        )
    finally:
        dashboard.stop()
