"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright; never a download."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium tries to reach Google on start.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


def logged_in_page(browser: Browser, dashboard, role: str = "admin", **context: Any) -> Page:
    """A new browser context (Playwright's options: color_scheme...), logged in through the
    login form like a person would."""
    from tests.conftest import PASSWORD, PERSONAS

    page = browser.new_context(**context).new_page()
    page.goto(dashboard.url + "/")  # redirected to the login form
    page.get_by_label("User name").fill(PERSONAS[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Back where it was sent from: `/`, or `/clusters` when `/` is the overview of several.
    page.wait_for_url(lambda url: url.startswith(dashboard.url) and "/login" not in url)
    return page


@pytest.fixture
def page(browser: Browser, dashboard) -> Iterator[Page]:
    page = logged_in_page(browser, dashboard)
    yield page
    page.context.close()


def in_view(locator: Locator, timeout: float = 2) -> bool:
    """Whether the element is wholly inside the window within `timeout` seconds (the page may
    still be bringing it there), as it is: the test does not scroll, as a person would not
    know where to. Playwright's own actions would scroll it into view first."""
    deadline = time.monotonic() + timeout
    while True:
        inside = locator.evaluate(
            "el => { const r = el.getBoundingClientRect();"
            # A pixel's leeway: layout in fractions of a pixel puts a bottom at 900.3 in a 900 px window.
            " return r.height > 0 && r.top >= -1 && r.left >= -1"
            " && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1; }"
        )
        if inside or time.monotonic() > deadline:
            return bool(inside)
        time.sleep(0.1)
