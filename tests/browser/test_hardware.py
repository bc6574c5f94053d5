"""The member page's hardware section in Chromium, for each role and at each screen size: it
arrives by itself after the page, and Refresh reads it again, in place."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import in_view, logged_in_page

pytestmark = [pytest.mark.cluster, pytest.mark.browser]


@pytest.mark.parametrize("role", ["admin", "operator", "auditor"])
@pytest.mark.parametrize("size", [(1440, 900), (1920, 1080)])
def test_the_hardware_section_loads_and_refreshes_in_place(browser, dashboard, role, size):
    width, height = size
    page = logged_in_page(browser, dashboard, role, viewport={"width": width, "height": height})
    try:
        page.goto(dashboard.url + "/members/member1")
        hardware = page.locator("#member-hardware")
        expect(hardware.get_by_role("heading", name="CPU")).to_be_visible(timeout=15000)
        expect(hardware.locator(".cpu-model").first).not_to_be_empty()
        expect(hardware.get_by_role("heading", name="Memory")).to_be_visible()
        expect(hardware.locator("table.hardware-nics tbody tr").first).to_contain_text("up")
        expect(hardware.locator("table.hardware-disks tbody tr").first).to_contain_text("GiB")
        read_at = hardware.locator("#hardware-read time").get_attribute("datetime")

        refresh = hardware.get_by_role("button", name="Refresh")
        refresh.scroll_into_view_if_needed()
        page.wait_for_timeout(1100)  # a newer reading has a newer time
        refresh.click()
        expect(page.locator("#hardware-read time")).not_to_have_attribute("datetime", read_at or "", timeout=15000)
        # The section was swapped in place: its button is where it was, in the window, no error.
        assert in_view(page.locator("#member-hardware").get_by_role("button", name="Refresh"))
        expect(page.locator("#member-hardware .op-error")).to_have_count(0)
    finally:
        page.context.close()
