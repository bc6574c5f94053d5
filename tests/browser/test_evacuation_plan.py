"""The evacuation plan and a run that went otherwise, where a person looks: the dialog after
choosing a mode, and the run page after it failed, at the usual screen sizes, for each role."""

import pytest
from playwright.sync_api import expect

from devcluster import CONTAINER_PREFIX
from tests.browser.conftest import logged_in_page
from tests.conftest import MAINTAINED as MEMBER
from tests.conftest import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
SCREENS = [{"width": 1440, "height": 900}, {"width": 1920, "height": 1080}]
NAME = f"{CONTAINER_PREFIX}lmb"


@pytest.fixture(scope="module")
def container(cluster):
    """A busybox container on member2 (live-migrating it needs CRIU, which this host lacks)."""
    cluster.incus("launch", "busybox", NAME, "--target", MEMBER, "--quiet")
    yield NAME
    if cluster.member_status(MEMBER) == "Evacuated":
        cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)
    cluster.incus("delete", "--force", NAME)


@pytest.mark.parametrize("role", ["admin", "operator"])
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_choosing_live_migrate_shows_the_container_failing_and_why(browser, dashboard, container, role, screen):
    page = logged_in_page(browser, dashboard, role, viewport=screen)
    try:
        page.goto(dashboard.url + f"/members/{MEMBER}")
        page.get_by_role("button", name="Evacuate…").click()
        dialog = page.locator("#dialog")
        dialog.locator("input[value=live-migrate]").check()
        plan = dialog.locator("#evacuate-plan")
        expect(plan).to_contain_text("(live-migrate)")
        row = plan.locator(f"#plan-default-{container}")
        expect(row).to_contain_text(f"fails unless CRIU is installed on {MEMBER}", timeout=20000)
        expect(row).to_contain_text("Incus says: “Unable to perform live container migration. CRIU isn't installed”")
        # Seen without scrolling: the warning that the whole run fails, and the row itself.
        expect(plan.locator(".plan-warning")).to_be_in_viewport()
        expect(row).to_be_in_viewport()
        # The database vote, in words, above the modes.
        expect(dialog).to_contain_text("keeps voting while evacuated")
    finally:
        page.context.close()


def test_the_failed_run_names_the_instance_and_incus_reason_on_screen(browser, dashboard, container):
    starter = logged_in_page(browser, dashboard, "admin", viewport=SCREENS[0])
    try:
        starter.goto(dashboard.url + f"/members/{MEMBER}")
        starter.get_by_role("button", name="Evacuate…").click()
        dialog = starter.locator("#dialog")
        dialog.locator("input[value=live-migrate]").check()
        expect(dialog.locator("#evacuate-plan")).to_contain_text("(live-migrate)")
        dialog.get_by_role("button", name=f"Evacuate {MEMBER}").click()
        expect(dialog).to_contain_text("FAILED", timeout=120000)
    finally:
        starter.context.close()
    runs = wait_until(lambda: [r for r in dashboard.get("/api/v1/maintenance", params={"member": MEMBER}).json()[
        "metadata"] if r["outcome"] == "failed" and r["mode"] == "live-migrate"])
    run = runs[0]
    culprit = next(s["name"] for s in run["instances"] if s["state"] == "failed")
    for role in ("admin", "operator", "auditor"):
        for screen in SCREENS:
            page = logged_in_page(browser, dashboard, role, viewport=screen)
            try:
                page.goto(dashboard.url + "/maintenance/" + run["operation_id"])
                alert = page.locator(".op-error[role=alert]")
                expect(alert).to_contain_text(f"{culprit} failed: ")
                expect(alert).to_contain_text("CRIU isn't installed")
                expect(alert).to_be_in_viewport()
                bar = page.locator(".run-bar").first
                expect(bar).to_contain_text(f"EVACUATE FAILED {run['done']}/{run['total']}")
                assert run["done"] < run["total"]
                # An ended run has no bar (a full one read as "done"): a red mark beside its words.
                expect(bar.locator("progress")).to_have_count(0)
                expect(bar.locator(".run-mark")).to_have_text("✕")
                failed_row = page.locator("table.maintenance tr", has_text=culprit)
                expect(failed_row).to_contain_text(f"failed, now on {MEMBER}")
                expect(failed_row).to_be_in_viewport()
            finally:
                page.context.close()
