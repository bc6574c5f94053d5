"""The theme: the system's (prefers-color-scheme) until the viewer picks one with the toggle,
which this browser remembers and applies before the first paint."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import logged_in_page

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

LIGHT_BACKGROUND = "rgb(246, 247, 249)"  # app.css --bg
DARK_BACKGROUND = "rgb(13, 17, 23)"
BACKGROUND = "getComputedStyle(document.body).backgroundColor"
# Recorded at the first animation frame, before anything is painted.
FIRST_FRAME = """requestAnimationFrame(() => {
  window.firstFrame = getComputedStyle(document.body).backgroundColor;
});"""


@pytest.mark.parametrize(("scheme", "background"), [("dark", DARK_BACKGROUND), ("light", LIGHT_BACKGROUND)])
def test_the_page_follows_the_system_theme(browser, dashboard, scheme, background):
    page = logged_in_page(browser, dashboard, color_scheme=scheme)
    try:
        for path in ("/", "/members/member1", "/cluster"):
            page.goto(dashboard.url + path)
            assert page.evaluate(BACKGROUND) == background, path
        expect(page.get_by_role("button", name="Theme: auto")).to_be_visible()
    finally:
        page.context.close()


def test_a_chosen_dark_theme_is_remembered_and_painted_first(browser, dashboard):
    page = logged_in_page(browser, dashboard, color_scheme="light")
    try:
        page.add_init_script(FIRST_FRAME)
        page.goto(dashboard.url + "/")
        assert page.evaluate(BACKGROUND) == LIGHT_BACKGROUND
        page.get_by_role("button", name="Theme: auto").click()
        expect(page.get_by_role("button", name="Theme: light")).to_be_visible()
        page.get_by_role("button", name="Theme: light").click()
        expect(page.get_by_role("button", name="Theme: dark")).to_be_visible()
        assert page.evaluate(BACKGROUND) == DARK_BACKGROUND
        for path in ("/members/member2", "/login"):  # another page, and one without a session
            page.goto(dashboard.url + path)
            assert page.evaluate(BACKGROUND) == DARK_BACKGROUND, path
            # Dark from the very first frame: no flash of the light theme.
            assert page.evaluate("window.firstFrame") == DARK_BACKGROUND, path
        page.goto(dashboard.url + "/")
        page.get_by_role("button", name="Theme: dark").click()
        expect(page.get_by_role("button", name="Theme: auto")).to_be_visible()
        assert page.evaluate(BACKGROUND) == LIGHT_BACKGROUND
    finally:
        page.context.close()
