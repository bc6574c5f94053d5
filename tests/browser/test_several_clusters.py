"""An evacuation of a member of one cluster, watched as the people who look after several
clusters watch it, in three real browsers at once: the overview (the cluster's card counts the
run up), the other cluster's member table (live, and untouched by it) and the wall of every
cluster (the member's tile, in its cluster's section). Nothing reloads; all of it stays where
the eye already is."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import in_view, logged_in_page
from tests.conftest import MAINTAINED as MEMBER
from tests.conftest import RAW, Background, Dashboard

pytestmark = [pytest.mark.cluster, pytest.mark.browser, pytest.mark.lts7]


def counts(text: str, pattern: str) -> set[int]:
    return {int(k) for k in re.findall(pattern, text)}


def shows_no_raw_values(page: Page) -> bool:
    body = page.content()
    return not [raw for raw in RAW if raw in body]


def test_an_evacuation_in_one_cluster_shows_on_the_overview_and_the_wall_and_nowhere_else(
    both: Dashboard, cluster, browser, crowded
):
    total = len(crowded)
    overview = logged_in_page(browser, both, viewport={"width": 1440, "height": 900})
    staging = logged_in_page(browser, both, viewport={"width": 1440, "height": 900})
    wall = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    pages = (overview, staging, wall)
    try:
        overview.goto(both.url + "/")
        staging.goto(both.url + "/clusters/staging/")
        wall.goto(both.display_url("several-evacuation").replace("/noc?", "/noc/clusters?"))
        card = overview.locator("#cluster-card-prod")
        tile = wall.locator(f"#wall-prod-member-{MEMBER}")
        namesake = staging.locator(f"#member-{MEMBER}")  # staging's member of the same name
        expect(tile).to_contain_text("ONLINE")
        expect(namesake).to_contain_text("ONLINE")
        expect(card).to_contain_text("none under way")
        assert in_view(card) and in_view(tile)
        for page in pages:
            page.evaluate("window.loadedOnce = true")
        evacuation = Background(cluster, "evacuate", "--action", "migrate")
        evacuation.start()
        seen: dict[str, set[int]] = {"card": set(), "tile": set()}
        try:
            while evacuation.is_alive():
                seen["card"] |= counts(card.inner_text(), rf"{MEMBER}: evacuating (\d+)/{total}")
                seen["tile"] |= counts(tile.inner_text(), rf"EVACUATING (\d+)/{total}")
                assert "EVACUAT" not in namesake.inner_text().upper()
                wall.wait_for_timeout(200)
        finally:
            evacuation.join()
        assert seen["card"] and seen["tile"], seen  # both counted the run while it ran
        expect(tile).to_contain_text("EVACUATED", timeout=30000)
        expect(card).to_contain_text("EVACUATED", timeout=30000)
        expect(card).to_contain_text("none under way", timeout=30000)
        expect(namesake).to_contain_text("ONLINE")
        assert in_view(card) and in_view(tile)
        for page in pages:
            assert page.evaluate("window.loadedOnce") is True  # all of it live, no reload
            assert shows_no_raw_values(page)
    finally:
        cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)
        for page in pages:
            page.context.close()
