"""Evacuations and restores followed instance by instance, on the real cluster: started from
the incus CLI or the dashboard, across a dashboard restart, and with several dashboards on one
database (one row per run and per instance)."""

import re
from datetime import UTC, datetime

import pytest
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from devcluster import CONTAINER_PREFIX
from tests.conftest import MAINTAINED as MEMBER
from tests.conftest import RAW, Background, Dashboard, wait_until
from webui import db
from webui.models import MaintenanceRun, MaintenanceStep

pytestmark = pytest.mark.cluster


def runs(dashboard: Dashboard, **filters: str) -> list[dict]:
    reply = dashboard.get("/api/v1/maintenance", params=filters)
    assert reply.status_code == 200, reply.text
    return reply.json()["metadata"]


def moment() -> str:
    """Now, as the `since` filter takes it: runs started from here on are this test's."""
    return datetime.now(UTC).isoformat()


def ended(dashboard: Dashboard, kind: str, since: str) -> dict:
    """The newest run of `kind` on member2 started since `since`, once it ended (earlier tests'
    runs, and runs a dashboard adopts from Incus's recent operations at its start, are older)."""

    def check() -> dict | None:
        found = runs(dashboard, member=MEMBER, kind=kind, since=since)
        return found[0] if found and found[0]["outcome"] != "running" else None

    return wait_until(check, timeout=300)


def test_a_cli_evacuation_is_followed_instance_by_instance_then_a_dashboard_restore(cluster, dashboard, crowded):
    total = len(crowded)
    assert total >= 6
    noc = dashboard.display_url("maintenance-wall")
    since = moment()
    evacuation = Background(cluster, "evacuate", "--action", "migrate")
    evacuation.start()
    counts: list[int] = []
    pages = ["/", f"/members/{MEMBER}", "/operations", "/maintenance", "/cluster"]
    while evacuation.is_alive():
        for path in pages:
            html = dashboard.get(path).text
            assert not [raw for raw in RAW if raw in html], path
            counts += [int(k) for k, n in re.findall(r"EVACUATING (\d+)/(\d+)", html) if int(n) == total]
        wall = dashboard.admin.get(noc, follow_redirects=True)  # the token moves into a cookie first
        assert wall.status_code == 200 and not [raw for raw in RAW if raw in wall.text]
    evacuation.join()
    assert counts, "the member row never read EVACUATING k/N"
    assert max(counts) >= 1 and len(set(counts)) > 1  # the count rose while we watched

    run = ended(dashboard, "evacuate", since)
    where = {i["name"]: i["location"] for i in cluster.instances()}
    assert (run["outcome"], run["done"], run["total"]) == ("succeeded", total, total)
    assert {s["name"]: (s["state"], s["member"]) for s in run["instances"]} == {
        name: ("started", where[name]) for name in crowded
    }
    assert MEMBER not in {where[name] for name in crowded}
    # Asked from outside the dashboard: audited as it started, then with its outcome.
    cli = dashboard.get(f"/api/v1/maintenance/{run['operation_id']}").json()["metadata"]
    assert [(a["action"], a["outcome"], a["actor"], a["via"]) for a in cli["audit"]] == [
        ("evacuate", "accepted", "outside the dashboard", "incus"),
        ("evacuate", "succeeded", "outside the dashboard", "incus"),
    ]

    reply = dashboard.admin.post(f"/api/v1/cluster/members/{MEMBER}/state", json={"action": "restore"})
    assert reply.status_code == 202, reply.text
    restore = ended(dashboard, "restore", since)
    assert restore["operation_id"] == reply.json()["metadata"]["id"]
    assert (restore["outcome"], restore["done"], restore["account"]) == ("succeeded", total, "alice")
    assert {s["state"] for s in restore["instances"]} == {"started"}
    assert {i["location"] for i in cluster.instances() if i["name"] in crowded} == {MEMBER}
    detail = dashboard.get(f"/api/v1/maintenance/{restore['operation_id']}").json()["metadata"]
    assert [(a["action"], a["outcome"], a["actor"]) for a in detail["audit"]] == [
        ("restore", "requested", "alice"),
        ("restore", "accepted", "alice"),
        ("restore", "succeeded", "alice"),
    ]
    page = dashboard.get(f"/maintenance/{restore['operation_id']}").text
    assert "started on member2" in page and "accepted" in page
    assert [r["kind"] for r in runs(dashboard, member=MEMBER, outcome="succeeded")][:2] == ["restore", "evacuate"]
    assert restore["operation_id"] not in {r["operation_id"] for r in runs(dashboard, member="member3")}
    assert {r["member"] for r in runs(dashboard, since=since)} == {MEMBER}


def test_a_dashboard_restarted_mid_evacuation_ends_the_run_with_its_outcome(cluster, crowded, tmp_path):
    own = Dashboard(cluster.settings_file, tmp_path / "webui.db")
    since = moment()
    evacuation = Background(cluster, "evacuate", "--action", "migrate")
    try:
        evacuation.start()
        wait_until(lambda: [r for r in runs(own, kind="evacuate") if r["done"] >= 1], timeout=120)
    finally:
        own.stop()
    back = Dashboard(cluster.settings_file, tmp_path / "webui.db", port=own.port)
    try:
        run = ended(back, "evacuate", since)
        evacuation.join()
        assert (run["outcome"], run["done"], run["total"]) == ("succeeded", len(crowded), len(crowded))
        assert {s["state"] for s in run["instances"]} == {"started"}
        assert len(runs(back, kind="evacuate", since=since)) == 1
    finally:
        cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)
        back.stop()


def test_two_dashboards_on_one_database_write_one_row_per_run_and_instance(cluster, crowded, postgres, tmp_path):
    url = postgres.create_database("maintenance")
    first = Dashboard(cluster.settings_file, tmp_path / "a.db", database_url=url)
    second = Dashboard(cluster.settings_file, tmp_path / "b.db", database_url=url, personas=False)
    try:
        for dash in (first, second):
            dash.wait_healthy()
        since = moment()
        for args in (("evacuate", "--action", "stop"), ("restore",)):
            Background(cluster, *args).run()
        run = ended(first, "restore", since)
        assert run["done"] == len(crowded)
        stopped = runs(first, kind="evacuate", since=since)[0]
        assert {s["state"] for s in stopped["instances"]} == {"stopped"}
        # One row per run and per instance, though both dashboards saw every event.
        engine = db.make_engine(url)
        try:
            with Session(engine) as session:
                ids = (stopped["operation_id"], run["operation_id"])
                rows = session.scalars(select(MaintenanceRun.id).where(MaintenanceRun.operation_id.in_(ids))).all()
                assert len(rows) == 2
                steps = select(func.count()).select_from(MaintenanceStep).where(MaintenanceStep.run_id.in_(rows))
                assert session.scalar(steps) == 2 * len(crowded)
        finally:
            engine.dispose()  # its connections closed even when an assertion failed
    finally:
        first.stop()
        second.stop()


def test_a_restore_incus_refuses_shows_incus_reason_on_the_instance_and_the_run(cluster, dashboard, tmp_path):
    """An instance whose disk's source vanished while its member was evacuated cannot start again."""
    source = tmp_path / "volume"
    source.mkdir()
    name = f"{CONTAINER_PREFIX}rf"
    cluster.incus("launch", "busybox", name, "--target", MEMBER, "--quiet")
    try:
        cluster.incus("config", "device", "add", name, "data", "disk", f"source={source}", "path=/mnt")
        Background(cluster, "evacuate", "--action", "stop").run()
        source.rmdir()
        since = moment()
        reply = dashboard.admin.post(f"/api/v1/cluster/members/{MEMBER}/state", json={"action": "restore"})
        assert reply.status_code == 202, reply.text
        run = ended(dashboard, "restore", since)
        assert run["outcome"] == "failed" and run["error"], run
        failed = [s for s in run["instances"] if s["state"] == "failed"]
        assert [s["name"] for s in failed] == [name] and failed[0]["error"] == run["error"]
        page = dashboard.get(f"/members/{MEMBER}").text
        assert "RESTORE FAILED" in page and str(escape(run["error"])) in page  # as Jinja escapes it
        audit = dashboard.get("/api/v1/maintenance/" + run["operation_id"]).json()["metadata"]["audit"]
        assert [(a["outcome"], a["error"]) for a in audit][-1] == ("failed", run["error"])
    finally:
        source.mkdir(exist_ok=True)
        if cluster.member_status(MEMBER) == "Evacuated":
            cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)
        cluster.incus("delete", "--force", name)


def test_only_the_unfiltered_list_of_runs_is_live(dashboard):
    """The stream sends every run the snapshot holds, whatever a page's filters: a filtered list
    does not take them, and says where they appear."""
    assert 'sse-swap="maintenance-runs"' in dashboard.get("/maintenance").text
    filtered = dashboard.get("/maintenance", params={"member": "member3"}).text
    assert 'sse-swap="maintenance-runs"' not in filtered and "unfiltered list" in filtered


def test_live_migrating_a_container_is_planned_to_fail_without_criu_and_the_run_names_it_and_why(cluster, dashboard):
    """Incus live-migrates containers only with CRIU on both members (this host has none): the
    plan says so before, and the failed run names the instance and Incus's reason after."""
    name = f"{CONTAINER_PREFIX}lm"
    cluster.incus("launch", "busybox", name, "--target", MEMBER, "--quiet")
    try:
        def planned() -> tuple[str, str] | None:
            dialog = dashboard.get(f"/members/{MEMBER}/evacuate", params={"mode": "live-migrate"}).text
            row = dialog.split(f'id="plan-default-{name}"')[-1].split("</tr>")[0]
            return (dialog, row) if "container, running" in row else None  # once the dashboard saw it start

        dialog, row = wait_until(planned, timeout=60)
        assert f"fails unless CRIU is installed on {MEMBER} and the member it goes to" in row, row
        assert "Unable to perform live container migration. CRIU isn&#39;t installed" in row, row
        assert "would make Incus fail the evacuation" in dialog
        assert "shut down cleanly" not in row  # a live migration stops nothing
        since = moment()
        reply = dashboard.admin.post(
            f"/api/v1/cluster/members/{MEMBER}/state", json={"action": "evacuate", "mode": "live-migrate"}
        )
        assert reply.status_code == 202, reply.text
        run = ended(dashboard, "evacuate", since)
        assert run["outcome"] == "failed" and "CRIU isn't installed" in run["error"], run
        failed = [s for s in run["instances"] if s["state"] == "failed"]
        assert failed and all(s["error"] == run["error"] for s in failed), run
        culprit = failed[0]["name"]
        assert f'instance "{culprit}"' in run["error"]  # pinned on the instance Incus names
        assert run["done"] < run["total"]  # a failed run never reads N/N
        page = dashboard.get("/maintenance/" + run["operation_id"]).text
        assert f"EVACUATE FAILED {run['done']}/{run['total']}" in page
        assert f"{culprit} failed: " in page and str(escape(run["error"])) in page
        assert f"failed, now on {MEMBER}" in page  # Incus left it running where it was
        wait_until(lambda: cluster.member_status(MEMBER) == "Online", timeout=60)  # Incus put it back
    finally:
        if cluster.member_status(MEMBER) == "Evacuated":
            cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)
        cluster.incus("delete", "--force", name)
