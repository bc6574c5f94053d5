"""The wall of several clusters and the overview, in Chromium: 8 clusters and 128 members fit
1920x1080 with no scrolling and type legible from 3 m (its smallest text measured), an
unreachable cluster is one red card; on the real clusters, each page holds one stream for
every cluster, and its sections change in place."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import logged_in_page
from tests.browser.test_noc_wall import SCREENSHOTS, made_up_cluster, wall_template
from tests.conftest import Dashboard
from webui.live.snapshot import ClusterSnapshot
from webui.settings import Settings
from webui.views.wall import section_view

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

# Legible from 3 m on a 55" 1080p screen (0.63 mm a pixel): 16 px is 10 mm. The wall of one
# cluster keeps 18 px names up to 64 members; with 128 members and 8 headers, 16 px is the floor.
MIN_TEXT_PX = 16
# Members per cluster: even, uneven, and one cluster that does not answer.
LAYOUTS = {
    "even": [16] * 8,
    "uneven": [64, 32, 12, 8, 5, 4, 2, 1],
    "one-unreachable": [16] * 7 + [-16],  # negative: unreachable, with 16 members when last seen
}


def synthesized(counts: list[int]) -> str:
    sections = []
    for number, count in enumerate(counts, start=1):
        snapshot = made_up_cluster(abs(count))
        if count < 0:
            error = "Unable to connect to 127.0.52.99:8443: connection refused"
            snapshot = ClusterSnapshot(
                members=snapshot.members, reachable=False, error=error, updated_at=datetime.now(UTC)
            )
        sections.append({"snapshot": snapshot, **section_view(f"site{number}", snapshot)})
    template = wall_template("noc/clusters.html")
    return template.render(stream_url="", stale_after=15, settings=Settings(), sections=sections)


MEASURE = """() => {
  const root = document.scrollingElement;
  const shown = el => el.getClientRects().length && getComputedStyle(el).visibility !== 'hidden';
  // Every element that shows text of its own, with its type's size, and whether it is cut.
  const texts = [...document.querySelectorAll('body *')].filter(el => shown(el)
      && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .map(el => ({text: el.textContent.trim().slice(0, 40), px: parseFloat(getComputedStyle(el).fontSize),
                 bottom: el.getBoundingClientRect().bottom, right: el.getBoundingClientRect().right}));
  const cut = [...document.querySelectorAll('.noc-name, .noc-status, .wall-name')]
    .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.textContent.trim());
  return {texts, cut, tiles: document.querySelectorAll('.noc-tile').length,
          cards: document.querySelectorAll('.wall-unreachable').length,
          scrollHeight: root.scrollHeight, scrollWidth: root.scrollWidth};
}"""


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_eight_clusters_and_128_members_fit_a_1080p_wall(browser, dashboard, layout):
    counts = LAYOUTS[layout]
    page = browser.new_context().new_page()
    try:
        url = f"{dashboard.url}/wall-{layout}"
        page.route(url, lambda route: route.fulfill(body=synthesized(counts), content_type="text/html"))
        for width, height in ((1920, 1080), (1440, 900)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(url)
            # This page has no stream: tell it one opened (else STALE covers it).
            page.evaluate("document.body.dispatchEvent(new CustomEvent('htmx:sseOpen', {bubbles: true}))")
            found = page.evaluate(MEASURE)
            assert found["scrollHeight"] <= height and found["scrollWidth"] <= width  # no scrolling
            assert found["tiles"] == sum(c for c in counts if c > 0)
            assert found["cards"] == sum(c < 0 for c in counts)  # one red card, not its 16 tiles
            assert not found["cut"], found["cut"]  # every name and status whole
            assert all(t["bottom"] <= height and t["right"] <= width for t in found["texts"])
            smallest = min(found["texts"], key=lambda t: t["px"])
            print(f"{layout} at {width}x{height}: smallest text {smallest['px']:.1f} px ({smallest['text']!r})")
            if width == 1920:
                assert smallest["px"] >= MIN_TEXT_PX, smallest
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"wall-8-clusters-{layout}-{width}.png"))
    finally:
        page.context.close()


def streams_opened(page: Page) -> list[str]:
    opened: list[str] = []
    page.on("request", lambda request: opened.append(request.url) if "stream" in request.url else None)
    return opened


def test_the_wall_of_real_clusters_is_one_stream_and_updates_in_place(both: Dashboard, browser):
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    try:
        opened = streams_opened(page)
        page.goto(both.display_url("wall-of-all").replace("/noc?", "/noc/clusters?"))
        for name in ("prod", "staging", "lab"):
            expect(page.locator(f"#wall-{name} .wall-name")).to_have_text(name)
        expect(page.locator("#wall-staging-member-member1")).to_contain_text("ONLINE")
        expect(page.locator("#wall-lab .noc-tile")).to_have_count(1)  # the standalone server
        page.evaluate("window.loadedOnce = true")
        expect(page.locator("#wall-prod .wall-fresh")).not_to_contain_text("no data yet")
        # Each cluster's data age is sent again on its every resync (a second here), swapped in place.
        first = page.locator("#wall-prod-fresh .wall-fresh[data-first]")
        page.evaluate("document.querySelector('#wall-prod-fresh .wall-fresh').dataset.first = 'yes'")
        expect(first).to_have_count(1)
        expect(first).to_have_count(0, timeout=10000)  # another in its place
        expect(page.locator(".wall-stale")).to_have_count(0)
        expect(page.locator("#noc-stale")).to_be_hidden()
        assert page.evaluate("window.loadedOnce") is True
        assert len(opened) == 1 and "/noc/clusters/stream?" in opened[0], opened  # one stream for all
        page.screenshot(path=str(SCREENSHOTS / "wall-real-clusters-1920.png"))
    finally:
        page.context.close()


def test_the_overview_is_live_over_one_stream_without_polling(both: Dashboard, browser):
    page = logged_in_page(browser, both)
    try:
        page.goto("about:blank")  # the page the login led to, and its stream, gone
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(both.url + "/")
        card = page.locator("#cluster-card-staging")
        expect(card).to_contain_text("cluster of 3 members")
        data = page.locator("#cluster-card-prod dd time").last
        shown = data.get_attribute("datetime")
        page.evaluate("window.loadedOnce = true")
        # The data's time moves on with every resync, pushed, with nothing asked again.
        expect(data).not_to_have_attribute("datetime", shown, timeout=10000)
        assert page.evaluate("window.loadedOnce") is True
        asked = [url for url in requests if "/static/" not in url]
        assert len(asked) == 2 and "/stream/clusters?" in asked[1], asked  # the page, then its one stream
        assert page.evaluate("document.body.getAttribute('sse-connect')").startswith("/stream/clusters?")
    finally:
        page.context.close()
