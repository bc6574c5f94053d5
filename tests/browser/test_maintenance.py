"""An evacuation from the incus CLI watched in two real browsers: the member table (row
EVACUATING k/N with a bar, then the per-instance table) and the NOC wall display."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import logged_in_page
from tests.conftest import MAINTAINED as MEMBER
from tests.conftest import RAW, Background

pytestmark = [pytest.mark.cluster, pytest.mark.browser]


def test_the_member_table_and_the_wall_count_an_evacuation_up_as_it_runs(cluster, dashboard, browser, crowded):
    total = len(crowded)
    table = logged_in_page(browser, dashboard)
    wall = browser.new_context().new_page()
    wall.goto(dashboard.display_url("maintenance-browser"))
    row = table.locator(f"#member-{MEMBER}")
    tile = wall.locator(f"#noc-member-{MEMBER}")
    expect(row).to_contain_text("ONLINE")
    table.evaluate("window.loadedOnce = true")
    evacuation = Background(cluster, "evacuate", "--action", "migrate")
    evacuation.start()
    try:
        seen: set[int] = set()
        while evacuation.is_alive():
            for page, where in ((table, row), (wall, tile)):
                text = where.inner_text()
                seen |= {int(k) for k in re.findall(rf"EVACUATING (\d+)/{total}", text)}
                body = page.content()
                assert not [raw for raw in RAW if raw in body]
            table.wait_for_timeout(200)
        assert len(seen) > 1 and max(seen) >= 1, seen  # both pages counted up while it ran
        expect(row).to_contain_text("EVACUATED", timeout=30000)
        expect(tile).to_contain_text("EVACUATED", timeout=30000)
        assert table.evaluate("window.loadedOnce") is True  # all of it live, no reload
        table.goto(dashboard.url + f"/members/{MEMBER}")
        steps = table.locator("table.maintenance tbody tr")
        expect(steps).to_have_count(total)
        for n in range(total):
            expect(steps.nth(n)).to_contain_text(re.compile(r"started on member[13]"))
    finally:
        evacuation.join()
        cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)
        table.context.close()
        wall.context.close()
