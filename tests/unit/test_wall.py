"""The wall display says what is happening now: a member whose instances are moving is
EVACUATING (Incus already says Evacuated) and counted apart, and a failed run keeps its tile
red with Incus's reason until acknowledged."""

import re
from dataclasses import replace
from datetime import UTC, datetime

from tests.unit.test_recent import render
from webui.incus.models import Member
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance import runs as m
from webui.services.maintenance.wall import tile, totals
from webui.views.noc import tile_view, totals_view

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def run(member: str, kind: str = m.EVACUATE, outcome: str = m.RUNNING, error: str = "") -> m.MaintenanceRun:
    steps = tuple(m.InstanceStep("default", f"c{n}", m.STARTED if n < 4 else m.MIGRATING) for n in range(5))
    return m.MaintenanceRun(
        operation_id=f"{member}-{kind}-{outcome}", member=member, kind=kind, started_at=AT, instances=steps,
        outcome=outcome, error=error, ended_at=None if outcome == m.RUNNING else AT,
    )


def cluster() -> ClusterSnapshot:
    failed = run("m4", outcome="failed", error='Failed to migrate "c4": CRIU isn\'t installed')
    return ClusterSnapshot(
        members=(
            Member(server_name="m1", status="Online"),
            Member(server_name="m2", status="Evacuated"),  # being evacuated: Incus says so at once
            Member(server_name="m3", status="Evacuated"),  # evacuated and done
            Member(server_name="m4", status="Evacuated"),  # its evacuation failed
            Member(server_name="m5", status="Online"),  # failed long ago, acknowledged
        ),
        maintenance=(
            run("m3", outcome="succeeded"),
            failed,
            replace(run("m5", outcome="failed"), acknowledged_at=AT, acknowledged_by="alice"),
            run("m2"),
        ),
    )


def test_a_member_being_evacuated_is_counted_evacuating_not_evacuated():
    counts = dict(totals(cluster()))
    assert counts == {
        "Online": 2, "Evacuating": 1, "Evacuated": 2, "Restoring": 0, "Offline": 0, "Blocked": 0, "Failed runs": 1,
    }


def test_each_tile_says_what_is_happening_to_its_member_now():
    snapshot = cluster()
    tiles = {member.server_name: tile(snapshot, member) for member in snapshot.members}
    assert (tiles["m2"].status, tiles["m2"].run is not None) == ("Evacuating", True)
    assert tiles["m3"].status == "Evacuated" and tiles["m3"].failed is None
    assert (tiles["m4"].css_status, tiles["m4"].severity) == ("failed", "critical")
    assert tiles["m5"].failed is None  # acknowledged


def test_the_wall_header_and_tile_read_evacuating_k_of_n():
    snapshot = cluster()
    summary = render("noc/_summary.html", snapshot, **totals_view(snapshot))
    assert re.search(r'id="noc-total-evacuating"><dt>EVACUATING</dt><dd>1</dd>', summary)
    assert re.search(r'id="noc-total-evacuated"><dt>EVACUATED</dt><dd>2</dd>', summary)
    html = render("noc/_tile.html", snapshot, **tile_view(snapshot, "m2"))
    headline = re.search(r'<p class="noc-status">(.*?)</p>', html, re.S)
    assert headline and "EVACUATING" in headline[1] and "EVACUATED" not in headline[1]
    assert "EVACUATING 4/5" in html


def test_a_failed_run_turns_its_tile_red_with_the_reason_until_acknowledged():
    snapshot = cluster()
    html = render("noc/_tile.html", snapshot, **tile_view(snapshot, "m4"))
    assert 'class="noc-tile status-failed"' in html and 'data-severity="critical"' in html
    assert "EVACUATE FAILED" in html and "CRIU isn&#39;t installed" in html
    acknowledged = replace(snapshot.maintenance[1], acknowledged_at=AT, acknowledged_by="bob")
    seen = replace(snapshot, maintenance=(*snapshot.maintenance[:1], acknowledged, *snapshot.maintenance[2:]))
    html = render("noc/_tile.html", seen, **tile_view(seen, "m4"))
    assert "status-failed" not in html and "FAILED" not in html
