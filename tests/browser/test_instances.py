"""Where every instance sits and why rebalancing moves or not, where a person looks: the
Instances page reached from a member's page, and the Cluster page's rebalancing section, at
the usual screen sizes, for each role."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import in_view, logged_in_page
from tests.conftest import PERSONAS

pytestmark = [pytest.mark.cluster, pytest.mark.browser, pytest.mark.usefixtures("server_fetched")]
SCREENS = [{"width": 1440, "height": 900}, {"width": 1920, "height": 1080}]
MEMBER = "member3"


@pytest.mark.parametrize("role", list(PERSONAS))
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_from_a_member_page_its_instances_and_their_fate_are_on_screen(browser, cluster, dashboard, role, screen):
    [instance] = [i for i in cluster.instances() if i["location"] == MEMBER][:1]
    page = logged_in_page(browser, dashboard, role, viewport=screen)
    try:
        page.goto(dashboard.url + f"/members/{MEMBER}")
        page.get_by_role("link", name=f"What an evacuation or healing of {MEMBER} would do to each instance").click()
        page.wait_for_url(f"**/instances?member={MEMBER}")
        row = page.locator(f"#instance-{instance['project']}-{instance['name']}")
        expect(row).to_contain_text("stays on its dead member")
        expect(row).to_contain_text("moved to member1 or member2")
        assert in_view(row), "the member's instance row is not on screen, or runs off its right edge"
        expect(page.get_by_label("Member")).to_have_value(MEMBER)
        page.get_by_label("Type").select_option("virtual-machine")
        page.get_by_role("button", name="Filter").click()
        empty = page.get_by_text("No instances that match.")
        expect(empty).to_be_visible()
        assert in_view(empty)
    finally:
        page.context.close()


@pytest.mark.parametrize("role", list(PERSONAS))
@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_the_rebalancing_scores_are_shown_and_checked_again_on_demand(browser, dashboard, role, screen):
    page = logged_in_page(browser, dashboard, role, viewport=screen)
    try:
        page.goto(dashboard.url + "/cluster")
        section = page.locator("#rebalancing-why")
        expect(section.locator("#rebalance-member1")).to_contain_text("GiB")
        section.get_by_role("button", name="Check again").click()
        expect(section).to_contain_text("Next run:")
        for name in ("member1", "member2", "member3"):
            assert in_view(section.locator(f"#rebalance-{name}")), name
    finally:
        page.context.close()
