"""Every page that says it is live is: an evacuation started from the incus CLI reaches the
Maintenance page, the Operations page, the audit log and the member's page within 2 s, over
the stream, with no reload, in each role's view and where the eye already is (the viewport)."""

import re
import time

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import logged_in_page
from tests.conftest import MAINTAINED as MEMBER
from tests.conftest import Background, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

WITHIN = 2.0  # seconds from the CLI command to the row on every page
ROLES = ("admin", "operator", "auditor")
EVACUATION = re.compile(r"Evacuation (in progress|just ended)")


def watched(dashboard, page: Page, role: str) -> dict[str, tuple[Locator, int]]:
    """Each live view of `role` open in a tab of its own, with the rows the evacuation must
    add to it (each naming the member and the evacuation) and how many there are before."""
    views = {
        "maintenance": ("/maintenance", "#maintenance-runs tr[id^='maintenance-run-']", (MEMBER, "evacuate")),
        "operations": ("/operations", "#operations-table tr", (MEMBER, "Evacuating cluster member")),
        "member": (f"/members/{MEMBER}", "section.member-maintenance h2", (EVACUATION,)),
    }
    if role != "operator":  # the audit log is for auditors and admins
        # "accepted" as it starts (its outcome, a second row, may come within the 2 s too).
        views["audit"] = ("/audit", "#audit-rows tr", (MEMBER, "outside the dashboard", "evacuate", "accepted"))
    found = {}
    for name, (path, rows, texts) in views.items():
        tab = page if name == "maintenance" else page.context.new_page()
        tab.goto(dashboard.url + path)
        tab.evaluate("window.loadedOnce = true")
        locator = tab.locator(rows)
        for text in texts:
            locator = locator.filter(has_text=text)
        found[name] = (locator, locator.count())
    return found


def in_view(row: Locator) -> bool:
    """Whether the row lies wholly inside the viewport, where the eye already is. Measured at
    one instant: a page redrawn several times a second while instances move (the member
    page) replaces the element faster than an IntersectionObserver reports on it."""
    return row.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight }")


def incus_has_it(cluster) -> float:
    """When Incus itself holds the evacuation's operation: the 2 s are the dashboard's, from
    there, not the `incus` binary's start on a loaded machine (up to a second in CI)."""
    socket = cluster.incus_dir(MEMBER) / "unix.socket"
    with httpx.Client(transport=httpx.HTTPTransport(uds=str(socket)), base_url="http://incus", timeout=5) as incus:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reply = incus.get("/1.0/operations", params={"recursion": "1", "all-projects": "true"}).json()
            running = (reply.get("metadata") or {}).get("running") or []
            if any(op.get("description") == "Evacuating cluster member" for op in running):
                return time.monotonic()
            time.sleep(0.02)
    raise TimeoutError("Incus never started the evacuation")


@pytest.mark.parametrize("viewport", [{"width": 1440, "height": 900}, {"width": 1920, "height": 1080}])
def test_an_evacuation_from_the_cli_shows_on_every_live_page_within_two_seconds(cluster, dashboard, browser, viewport):
    # An evacuation an earlier test made stays on the member page for recent_seconds (60) after
    # it ended: this one must be the only one there.
    wait_until(lambda: not EVACUATION.search(dashboard.get(f"/members/{MEMBER}").text), timeout=90, interval=2)
    pages = {role: logged_in_page(browser, dashboard, role, viewport=viewport) for role in ROLES}
    views = {role: watched(dashboard, page, role) for role, page in pages.items()}
    assert all(views[role]["member"][1] == 0 for role in ROLES)  # no evacuation shown before it starts
    evacuation = Background(cluster, "evacuate")
    evacuation.start()
    try:
        started = incus_has_it(cluster)
        for role, by_view in views.items():
            for view, (rows, before) in by_view.items():
                left = max(0.0, started + WITHIN - time.monotonic())
                expect(rows, f"{view} page, {role}").to_have_count(before + 1, timeout=left * 1000 or 1)
                assert in_view(rows.first), f"{view} page, {role}: the row is outside the viewport"
                assert rows.page.evaluate("window.loadedOnce") is True  # no reload
    finally:
        evacuation.join()
        cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)
        for page in pages.values():
            page.context.close()
