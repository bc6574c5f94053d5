"""Every page in Chromium against a cluster formed on Incus 7.0 (no container needs to run:
see tests/integration/test_lts7.py)."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import logged_in_page
from tests.conftest import edit_member, incus_member

pytestmark = [pytest.mark.cluster, pytest.mark.browser, pytest.mark.lts7]

PAGES = ["/", "/members/member1", "/members/member2", "/cluster", "/operations", "/history", "/audit", "/settings"]


@pytest.fixture
def page7(browser: Browser, dashboard7) -> Iterator[Page]:
    page = logged_in_page(browser, dashboard7)
    yield page
    page.context.close()


def test_every_page_renders_on_incus_7(cluster7, dashboard7, page7):
    version = cluster7.query("/1.0")["environment"]["server_version"]
    errors: list[str] = []
    failed: list[str] = []
    page7.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page7.on("pageerror", lambda e: errors.append(str(e)))
    page7.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    for path in PAGES:
        reply = page7.goto(dashboard7.url + path)
        assert reply is not None and reply.status == 200, path
        expect(page7.locator("main, body").first).not_to_contain_text("Traceback")
    page7.goto(dashboard7.url + "/")
    for name in cluster7.members:
        expect(page7.locator(f"#member-{name} td.version")).to_have_text(version, timeout=10000)
    page7.goto(dashboard7.display_url("lts7 wall"))
    expect(page7.locator("body")).to_contain_text("member1")
    assert not errors and not failed, (errors, failed)


def test_the_member_table_updates_live_on_incus_7(cluster7, dashboard7, page7):
    name = "member2"
    before = incus_member(cluster7, name)["description"]
    page7.goto(dashboard7.url + "/")
    expect(page7.locator(f"#member-{name}")).to_contain_text("ONLINE")
    page7.evaluate("window.loadedOnce = true")
    try:
        edit_member(cluster7, name, description="live from Incus 7.0")
        expect(page7.locator(f"#member-{name}")).to_contain_text("live from Incus 7.0", timeout=5000)
        assert page7.evaluate("window.loadedOnce") is True
    finally:
        edit_member(cluster7, name, description=before)
