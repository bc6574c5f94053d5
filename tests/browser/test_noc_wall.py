"""The wall display at any cluster size, and what keeps a kiosk tab honest for months: 32 and
64 members fit 1920x1080 with legible type and fill 3840x2160; STALE after two missed
heartbeats; reloads past a memory budget or after some hours; rotation to the maintenance view.
Screenshots go to the test state folder (outside git)."""

import os
import signal
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Template
from playwright.sync_api import Error, Page, expect

from tests.browser.conftest import in_view
from tests.conftest import STATE_DIR, Dashboard, wait_until
from webui.app import HERE, make_templates
from webui.incus.models import IncusWarning, Member
from webui.live.snapshot import ClusterSnapshot
from webui.settings import Settings
from webui.views.noc import wall_view

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

SCREENSHOTS = STATE_DIR / "screenshots"
SCREENS = {"1080p": (1920, 1080), "4k": (3840, 2160)}
# Legible from 3 m: on a 55" 1080p screen a pixel is 0.63 mm, so 18 px is 11 mm high.
MIN_NAME_PX = 18
MIN_STATUS_PX = 20


def synthesized_wall(count: int) -> str:
    """The wall's own template, rendered for a made-up cluster of `count` members (some
    offline, evacuated, healed), with no stream: the layout alone is under test."""
    snapshot = made_up_cluster(count)
    return wall_template("noc/index.html").render(
        snapshot=snapshot, stream_url="", stale_after=15, settings=Settings(), **wall_view(snapshot)
    )


def wall_template(name: str) -> Template:
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return make_templates(app).get_template(name)


def made_up_cluster(count: int) -> ClusterSnapshot:
    """`count` members, some offline, evacuated, blocked or healed, a third with new warnings."""
    statuses = ["Online"] * 5 + ["Offline", "Evacuated", "Blocked"]
    members = tuple(
        Member(
            server_name=f"member{n:02d}",
            status=statuses[n % len(statuses)],
            message="Fully operational" if statuses[n % len(statuses)] == "Online" else "No heartbeat for 42s",
            roles=["database-leader", "database"] if n == 1 else ["database"],
        )
        for n in range(1, count + 1)
    )
    # Incus's warnings, new ones on a member in three (the wall shows their count, small).
    warnings = tuple(
        IncusWarning(uuid=f"00000000-0000-4000-8000-{n:012d}", location=m.server_name, status="new", severity="low")
        for n, m in enumerate(members) if n % 3 == 0
    )
    return ClusterSnapshot(
        members=members, reachable=True, updated_at=datetime.now(UTC), server_name="member01",
        healed=frozenset({"member06"}), warnings=warnings,
    )


def open_synthesized(page: Page, dashboard: Dashboard, count: int) -> None:
    """The synthesized wall at a URL of the real dashboard, so its static files load."""
    url = f"{dashboard.url}/wall-of-{count}"
    page.route(url, lambda route: route.fulfill(body=synthesized_wall(count), content_type="text/html"))
    page.goto(url)


def layout(page: Page) -> dict:
    return page.evaluate("""() => {
      const tiles = [...document.querySelectorAll('.noc-tile')].map(tile => {
        const box = tile.getBoundingClientRect();
        const inside = el => { const r = el.getBoundingClientRect();
          return r.top >= box.top - 1 && r.bottom <= box.bottom + 1
            && r.left >= box.left - 1 && r.right <= box.right + 1; };
        const name = tile.querySelector('.noc-name'), status = tile.querySelector('.noc-status');
        const px = el => parseFloat(getComputedStyle(el).fontSize);
        return {top: box.top, bottom: box.bottom, left: box.left, right: box.right, area: box.width * box.height,
                nameFits: inside(name) && name.scrollWidth <= name.clientWidth, statusFits: inside(status),
                namePx: px(name), statusPx: px(status)};
      });
      const root = document.scrollingElement;
      return {tiles, scrollHeight: root.scrollHeight, scrollWidth: root.scrollWidth,
              width: innerWidth, height: innerHeight};
    }""")


@pytest.mark.parametrize("count", [3, 32, 64])
def test_the_wall_fits_a_1080p_screen_and_fills_a_4k_one(browser, dashboard, count):
    page = browser.new_context().new_page()
    try:
        for screen, (width, height) in SCREENS.items():
            page.set_viewport_size({"width": width, "height": height})
            open_synthesized(page, dashboard, count)
            found = layout(page)
            assert len(found["tiles"]) == count
            assert found["scrollHeight"] <= height and found["scrollWidth"] <= width  # no scrollbar
            expect(page.locator("#noc-warnings")).to_contain_text(f"{(count + 2) // 3} warning")
            assert in_view(page.locator("#noc-warnings"))  # the header's small count, within the screen
            assert in_view(page.locator("#noc-clock"))
            scale = width / 1920
            for tile in found["tiles"]:
                assert 0 <= tile["top"] and tile["bottom"] <= height and 0 <= tile["left"] and tile["right"] <= width
                assert tile["nameFits"] and tile["statusFits"], tile
                assert tile["namePx"] >= MIN_NAME_PX * scale and tile["statusPx"] >= MIN_STATUS_PX * scale, tile
            # The tiles take most of the screen, at either size.
            assert sum(t["area"] for t in found["tiles"]) >= 0.5 * width * height
            # For the picture only: this page has no stream, so tell it one opened (else STALE).
            page.evaluate("document.body.dispatchEvent(new CustomEvent('htmx:sseOpen', {bubbles: true}))")
            expect(page.locator("#noc-stale")).to_be_hidden()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"noc-{count}-members-{screen}.png"))
    finally:
        page.context.close()


def test_the_real_wall_at_1080p_and_4k(dashboard, browser):
    page = browser.new_context().new_page()
    try:
        page.goto(dashboard.display_url("wall-screens"))
        for screen, (width, height) in SCREENS.items():
            page.set_viewport_size({"width": width, "height": height})
            expect(page.locator("#noc-member-member1")).to_contain_text("ONLINE")
            expect(page.locator("#noc-stale")).to_be_hidden()
            found = layout(page)
            assert found["scrollHeight"] <= height and sum(t["area"] for t in found["tiles"]) >= 0.5 * width * height
            page.screenshot(path=str(SCREENSHOTS / f"noc-{screen}.png"))
    finally:
        page.context.close()


def test_the_wall_says_stale_after_two_missed_heartbeats(cluster, browser, tmp_path):
    """A dashboard that hangs (stopped, its connections open): no error reaches the browser,
    only silence. The heartbeat is 1 s in tests."""
    own = Dashboard(cluster.settings_file, tmp_path / "webui.db")
    page = browser.new_context().new_page()
    try:
        page.goto(own.display_url("wall-heartbeat"))
        stale = page.locator("#noc-stale")
        expect(page.locator("#noc-member-member1")).to_contain_text("ONLINE")
        expect(stale).to_be_hidden()
        os.kill(own.process.pid, signal.SIGSTOP)
        try:
            expect(stale).to_be_visible(timeout=10000)
            expect(stale).to_contain_text("no heartbeat")
            expect(page.locator("body")).to_have_class("noc stale")
            assert float(page.evaluate("getComputedStyle(document.querySelector('.noc-tiles')).opacity")) < 0.6
        finally:
            os.kill(own.process.pid, signal.SIGCONT)
        expect(stale).to_be_hidden(timeout=20000)
    finally:
        page.context.close()
        own.stop()


def reloaded(page: Page) -> bool:
    """The page was loaded again since the test marked it (polled from Python: the page's
    Content-Security-Policy refuses the eval behind Playwright's wait_for_function)."""
    try:
        return bool(page.evaluate("window.loadedOnce === undefined && document.readyState === 'complete'"))
    except Error:  # in the middle of the reload
        return False


def test_the_wall_rotates_to_maintenance_and_reloads_past_its_memory_budget(cluster, browser, tmp_path):
    own = Dashboard(
        cluster.settings_file, tmp_path / "webui.db",
        INCUS_WEBUI_NOC_ROTATE_SECONDS="2", INCUS_WEBUI_NOC_MEMORY_BUDGET_MB="1",
    )
    page = browser.new_context().new_page()
    try:
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.goto(own.display_url("wall-rotating"))
        expect(page.locator("#noc-member-member1")).to_contain_text("ONLINE")
        page.evaluate("window.loadedOnce = true")
        expect(page.locator("#noc-maintenance")).to_be_visible(timeout=5000)
        expect(page.locator("#noc-maintenance")).to_contain_text("Every member is online")
        expect(page.locator("#noc-tiles")).to_be_hidden()
        page.screenshot(path=str(SCREENSHOTS / "noc-maintenance-1080p.png"))
        expect(page.locator("#noc-tiles")).to_be_visible(timeout=5000)
        # Chromium's JavaScript heap is over 1 MB at once: the next check (every 10 s) reloads.
        wait_until(lambda: reloaded(page), timeout=30)
        assert page.evaluate("sessionStorage.getItem('noc-reloaded')") == "memory"
        expect(page.locator("#noc-member-member1")).to_contain_text("ONLINE")
    finally:
        page.context.close()
        own.stop()


def test_the_wall_reloads_after_its_hours(cluster, browser, tmp_path):
    own = Dashboard(cluster.settings_file, tmp_path / "webui.db", INCUS_WEBUI_NOC_RELOAD_HOURS="0.001")  # 3.6 s
    page = browser.new_context().new_page()
    try:
        page.goto(own.display_url("wall-reloading"))
        expect(page.locator("#noc-member-member1")).to_contain_text("ONLINE")
        page.evaluate("window.loadedOnce = true")
        wait_until(lambda: reloaded(page), timeout=30)
        assert page.evaluate("sessionStorage.getItem('noc-reloaded')") == "hours"
    finally:
        page.context.close()
        own.stop()
