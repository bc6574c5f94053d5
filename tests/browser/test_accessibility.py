"""Every page, in both themes, checked by axe-core (vendored, injected only here): no serious or
critical violation. The pages come from the app's routes, so a new page is checked or this
fails. Each page's screenshot at 1440x900 goes to the test state folder (outside git)."""

from urllib.parse import urljoin

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import logged_in_page
from tests.browser.pages import DIALOGS, ELSEWHERE, EXPECTED, PAGES, a_maintenance_run, html_route_names, open_dialog
from tests.conftest import STATE_DIR, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

# Served from the dashboard's own static files, so the page's Content-Security-Policy (no
# inline script) holds while axe runs; no page links it.
AXE = "/static/vendor/axe-core-4.14.1.min.js"
SCREENSHOTS = STATE_DIR / "screenshots"
THEMES = ("light", "dark")


@pytest.fixture(scope="module")
def html_routes(cluster, tmp_path_factory) -> set[str]:
    return html_route_names(cluster, tmp_path_factory.mktemp("routes"))


def test_every_html_route_is_checked(html_routes):
    assert len(html_routes) == EXPECTED, sorted(html_routes)
    assert html_routes == set(PAGES) | set(DIALOGS) | ELSEWHERE


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=urljoin(page.url, AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def themed_page(browser: Browser, dashboard, theme: str, logged_in: bool = True) -> Page:
    """A page whose system theme is `theme` (prefers-color-scheme), at 1440x900."""
    if logged_in:
        page = logged_in_page(browser, dashboard, color_scheme=theme)
    else:
        page = browser.new_context(color_scheme=theme).new_page()
    page.set_viewport_size({"width": 1440, "height": 900})
    return page


def check(page: Page, name: str, theme: str, found: dict[str, list[str]]) -> None:
    problems = serious_violations(page)
    if problems:
        found[f"{name} ({theme})"] = problems
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{theme}.png"))


@pytest.mark.parametrize("theme", THEMES)
def test_every_page_has_no_serious_accessibility_violation(browser, cluster, dashboard, theme):
    paths = {**PAGES, "maintenance_run": f"/maintenance/{a_maintenance_run(cluster, dashboard)}"}
    found: dict[str, list[str]] = {}
    page = themed_page(browser, dashboard, theme)
    try:
        assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") in (theme, "light dark")
        for name, path in paths.items():
            reply = page.goto(dashboard.url + path)
            assert reply is not None and reply.status == 200, name
            expect(page.locator("main")).to_be_visible()
            check(page, name, theme, found)
        page.goto(dashboard.url + "/members/member3")
        expect(page.locator("#hardware-read time")).to_be_visible(timeout=15000)  # the section, loaded in
        check(page, "member_hardware", theme, found)
        dialog = page.locator("#dialog")
        for name, path in DIALOGS.items():
            open_dialog(page, path)
            expect(dialog).to_be_visible()
            expect(dialog.locator("h2")).to_be_visible()
            check(page, name, theme, found)
            page.keyboard.press("Escape")
            expect(dialog).to_be_hidden()
        page.goto(dashboard.url + "/cluster")
        page.get_by_role("searchbox").fill("voters")
        expect(page.locator("#key-cluster\\.max_voters")).to_be_visible()
        wait_until(lambda: page.locator("tr[id^=key-]").count() < 10, timeout=10)
        check(page, "cluster_config_form", theme, found)
    finally:
        page.context.close()
    login = themed_page(browser, dashboard, theme, logged_in=False)
    try:
        login.goto(dashboard.url + "/login")
        check(login, "login", theme, found)
        login.goto(dashboard.display_url(f"axe {theme}"))
        expect(login.locator("#noc-member-member1")).to_contain_text("ONLINE")
        expect(login.locator("#noc-stale")).to_be_hidden()
        check(login, "noc", theme, found)
        login.goto(dashboard.url + "/noc/clusters")  # the display's cookie goes there too
        expect(login.locator(".noc-tile").first).to_contain_text("ONLINE")
        expect(login.locator("#noc-stale")).to_be_hidden()
        check(login, "noc_clusters", theme, found)
    finally:
        login.context.close()
    assert not found, "\n".join(f"{where}: {problem}" for where, problems in found.items() for problem in problems)


def test_a_dialog_works_from_the_keyboard(browser, dashboard):
    page = logged_in_page(browser, dashboard)
    try:
        page.goto(dashboard.url + "/members/member3")
        opener = page.get_by_role("button", name="Edit…")
        opener.focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Edit member3")
        expect(dialog).to_be_visible()
        assert page.evaluate("document.getElementById('dialog').contains(document.activeElement)")
        # Tab never reaches the page behind a modal dialog (past its last control the browser's
        # own UI takes focus, where the document has none: the body).
        for _ in range(12):
            page.keyboard.press("Tab")
            assert page.evaluate(
                "document.getElementById('dialog').contains(document.activeElement)"
                " || document.activeElement === document.body"
            )
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(opener).to_be_focused()
        # Again after the stream redrew the button meanwhile: focus goes to the new one.
        page.keyboard.press("Enter")
        expect(dialog).to_be_visible()
        page.evaluate("htmx.ajax('GET', location.pathname, {target: '#member-detail', select: '#member-detail > *'})")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(page.get_by_role("button", name="Edit…")).to_be_focused()
    finally:
        page.context.close()
