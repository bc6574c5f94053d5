"""The Warnings page in a real browser, on the warnings the dev cluster really raises: each
role at 1440x900 and 1920x1080 sees the table and only its own controls; an operator's
Acknowledge shows its result where they look, and the count in every open page's header, the
member's row and the wall display's follows live."""

import json

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import in_view, logged_in_page
from tests.browser.pages import open_dialog
from tests.browser.test_accessibility import serious_violations
from tests.conftest import PERSONAS, STATE_DIR, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

VIEWPORTS = ((1440, 900), (1920, 1080))
SCREENSHOTS = STATE_DIR / "screenshots"


def incus_warnings(cluster) -> list[dict]:
    return json.loads(cluster.incus("warning", "list", "--all", "--format", "json").stdout)


def listed(dashboard) -> list[dict]:
    return dashboard.get("/api/v1/warnings?recursion=1").json()["metadata"]


@pytest.fixture(scope="module")
def raised(cluster, dashboard) -> list[dict]:
    """The dev cluster's own warnings, once the dashboard shows them."""
    found = incus_warnings(cluster)
    assert any(w["status"] == "new" for w in found), found
    uuids = {w["uuid"] for w in found}
    wait_until(lambda: {w["uuid"] for w in listed(dashboard)} >= uuids, timeout=30)
    return found


def header_count(page: Page) -> int:
    text = page.locator("#warnings-count").inner_text().strip()
    return int(text.split()[0]) if text else 0


@pytest.mark.parametrize("role", list(PERSONAS))
def test_each_role_sees_the_warnings_and_only_its_controls(browser, dashboard, raised, role):
    page = logged_in_page(browser, dashboard, role)
    try:
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            page.goto(dashboard.url + "/warnings")
            shown = listed(dashboard)  # as the page was drawn (another test may have raised more)
            rows = page.locator("#warnings-table tr[data-status]")
            expect(rows).to_have_count(len(shown))
            for warning in raised:
                row = page.locator(f"#warning-{warning['uuid']}")
                expect(row).to_contain_text(warning["type"])
                expect(row).to_contain_text(warning["last_message"])
                expect(row).to_contain_text(warning["severity"].upper())
            new = sum(w["status"] == "new" for w in shown)
            assert header_count(page) == new
            assert in_view(page.locator("#warnings-count"))
            wide = page.evaluate("document.scrollingElement.scrollWidth")
            assert wide <= width, f"{role} {width}x{height}: {wide} px wide"
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"warnings-{role}-{width}x{height}.png"))
            acknowledge = page.get_by_role("button", name="Acknowledge")
            delete = page.get_by_role("button", name="Delete")
            expect(acknowledge).to_have_count(new if role in ("admin", "operator") else 0)
            expect(delete).to_have_count(len(shown) if role == "admin" else 0)
            # The filters narrow the rows at once, and keep them in the address.
            page.get_by_label("Status").select_option("acknowledged")
            expect(rows.locator("visible=true")).to_have_count(sum(w["status"] == "acknowledged" for w in shown))
            assert "status=acknowledged" in page.url
        if role == "admin":
            open_dialog(page, f"/warnings/{raised[0]['uuid']}/delete")
            dialog = page.locator("#dialog")
            expect(dialog.locator("h2")).to_contain_text("Delete the warning")
            assert in_view(dialog.get_by_role("button", name="Delete the warning"))
            assert serious_violations(page) == []
            page.keyboard.press("Escape")
            expect(dialog).to_be_hidden()
    finally:
        page.context.close()


def test_an_operator_acknowledges_and_every_count_follows_live(browser, cluster, dashboard, raised):
    warning = next(w for w in raised if w["status"] == "new")
    uuid, member = warning["uuid"], warning["location"]
    operator = logged_in_page(browser, dashboard, "operator")
    watcher = logged_in_page(browser, dashboard, "auditor")
    wall = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    try:
        operator.set_viewport_size({"width": 1440, "height": 900})
        operator.goto(dashboard.url + "/warnings")
        watcher.set_viewport_size({"width": 1440, "height": 900})
        watcher.goto(dashboard.url + "/")  # another page: the member table and its header
        wall.goto(dashboard.display_url("warnings-browser"))
        before = header_count(watcher)
        member_mark = watcher.locator(f"#member-{member} .mark-warnings")
        mine = sum(w["status"] == "new" and w["location"] == member for w in listed(dashboard))
        expect(member_mark).to_contain_text(f"{mine} warning")
        expect(wall.locator("#noc-warnings")).to_contain_text(f"{before} warning")
        assert wall.evaluate("document.scrollingElement.scrollHeight <= innerHeight")  # the wall still fits
        watcher.evaluate("window.loadedOnce = true")
        watcher.screenshot(path=str(SCREENSHOTS / "warnings-member-table.png"))

        row = operator.locator(f"#warning-{uuid}")
        row.get_by_role("button", name="Acknowledge").click()
        expect(row).to_contain_text("ACKNOWLEDGED")
        assert in_view(row.locator("[data-result]")) or in_view(row), "the result is outside the window"
        assert next(w for w in incus_warnings(cluster) if w["uuid"] == uuid)["status"] == "acknowledged"
        operator.screenshot(path=str(SCREENSHOTS / "warnings-acknowledged-1440x900.png"))

        wait_until(lambda: header_count(watcher) == before - 1, timeout=15)
        wait_until(lambda: header_count(operator) == before - 1, timeout=15)
        expect(wall.locator("#noc-warnings")).to_contain_text(f"{before - 1} warning", timeout=15000)
        assert watcher.evaluate("window.loadedOnce") is True  # live, without a reload
    finally:
        cluster.incus("query", "-X", "PUT", f"/1.0/warnings/{uuid}", "-d", '{"status": "new"}')
        for page in (operator, watcher, wall):
            page.context.close()
