"""Headless Chromium (Debian's /usr/bin/chromium) driven by Playwright; never a download."""

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

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
    page.wait_for_url(dashboard.url + "/")
    return page


@pytest.fixture
def page(browser: Browser, dashboard) -> Iterator[Page]:
    page = logged_in_page(browser, dashboard)
    yield page
    page.context.close()
