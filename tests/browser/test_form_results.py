"""Every form's outcome (saved, Incus's error, refused) is where the person who sent it looks:
beside the control, inside the window right after submitting (the test does not scroll), said
to screen readers, and an error takes focus. The member dialogs' successes are checked in
test_member_dialogs.py, beside the changes they make."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import in_view, logged_in_page
from tests.conftest import PASSWORD, PERSONAS

pytestmark = [pytest.mark.cluster, pytest.mark.browser, pytest.mark.usefixtures("server_fetched")]

VIEWPORTS = [(1440, 900), (1920, 1080)]


def assert_seen(page: Page, text: str, error: bool) -> Locator:
    """The outcome saying `text` is in the window now; an error is an alert with focus, what
    was done a polite status, also said through the page's announcer."""
    result = page.locator("[data-result]", has_text=text)
    expect(result).to_be_visible()
    assert in_view(result), f"{text!r} is outside the window"
    if error:
        expect(result).to_have_attribute("role", "alert")
        expect(result).to_be_focused()
    else:
        expect(result).to_have_attribute("aria-live", "polite")
    return result


@pytest.fixture
def admin_page(browser, dashboard, request) -> Iterator[Page]:
    width, height = getattr(request, "param", VIEWPORTS[0])
    page = logged_in_page(browser, dashboard, viewport={"width": width, "height": height})
    yield page
    page.context.close()


def press_save(page: Page) -> None:
    """Save, at the foot of the configuration form: scrolled to as the admin does after a change."""
    save = page.locator("#config-form").get_by_role("button", name="Save")
    save.scroll_into_view_if_needed()
    save.click()


@pytest.mark.parametrize("admin_page", VIEWPORTS, indirect=True, ids=["1440x900", "1920x1080"])
def test_a_refused_key_is_said_beside_save(cluster, dashboard, admin_page):
    page = admin_page
    page.goto(dashboard.url + "/cluster")
    page.locator("#config-form").get_by_label("cluster.max_voters").fill("4")
    press_save(page)
    assert_seen(page, "Must be an odd number, at least 3", error=True)
    assert cluster.incus("config", "get", "cluster.max_voters").stdout.strip() == ""


@pytest.mark.parametrize("admin_page", VIEWPORTS, indirect=True, ids=["1440x900", "1920x1080"])
def test_a_saved_key_is_said_beside_save(cluster, dashboard, admin_page):
    page = admin_page
    page.goto(dashboard.url + "/cluster")
    page.locator("#config-form").get_by_label("images.remote_cache_expiry").fill("11")
    try:
        press_save(page)
        assert_seen(page, "Incus accepted: images.remote_cache_expiry", error=False)
        expect(page.locator("#announcer")).to_contain_text("Incus accepted")
    finally:
        cluster.incus("config", "unset", "images.remote_cache_expiry")


def test_a_refused_certificate_is_said_beside_its_button(dashboard, admin_page):
    page = admin_page
    page.goto(dashboard.url + "/cluster")
    form = page.locator("#certificate-form")
    form.get_by_label("Certificate (PEM)").fill("not a certificate")
    form.get_by_label("Private key (PEM, unencrypted)").fill("not a key")
    form.get_by_role("button", name="Replace certificate").click()
    assert_seen(page, "not a valid PEM certificate", error=True)


def test_group_outcomes_are_said_beside_their_forms(cluster, dashboard, admin_page):
    page = admin_page
    page.on("dialog", lambda dialog: dialog.accept())  # Delete asks first
    page.goto(dashboard.url + "/cluster/groups")
    create = page.locator("#group-create")
    create.get_by_label("Name").fill("default")
    create.get_by_role("button", name="Create group").click()
    assert_seen(page, "Failed to create", error=True)  # Incus: the name is taken
    try:
        page.locator("#group-create").get_by_label("Name").fill("results")
        page.locator("#group-create").get_by_role("button", name="Create group").click()
        assert_seen(page, "Created results.", error=False)
        row = page.locator("#group-results")
        row.get_by_label("Description").fill("seen beside Save")
        row.get_by_role("button", name="Save").click()
        assert_seen(page, "Saved results.", error=False)
        expect(page.locator("#group-results [data-result]")).to_have_count(1)
        page.locator("#group-results").get_by_role("button", name="Delete").click()
        assert_seen(page, "Deleted results.", error=False)
    finally:
        cluster.incus("cluster", "group", "delete", "results", check=False)


def test_joining_outcomes_are_said_beside_their_forms(dashboard, admin_page):
    page = admin_page
    page.goto(dashboard.url + "/cluster/joining")
    page.get_by_label("Name of the new member").fill("member1")  # taken: Incus refuses
    page.get_by_role("button", name="Create join token").click()
    assert_seen(page, "member1", error=True)
    rename = page.locator("#member-rename")
    rename.get_by_label("Member").select_option("member1")
    rename.get_by_label("New name").fill("member2")  # taken too
    rename.get_by_role("button", name="Rename").click()
    assert_seen(page, "Conflict", error=True)  # Incus: the name is taken


def test_a_member_dialog_error_is_seen_and_focused(dashboard, admin_page):
    page = admin_page
    page.goto(dashboard.url + "/members/member3")
    page.get_by_role("button", name="Edit…").click()
    dialog = page.locator("#dialog")
    dialog.get_by_label("User keys").fill("no equals sign")
    dialog.get_by_role("button", name="Save").click()
    assert_seen(page, "is not key=value", error=True)


def test_settings_outcomes_are_said_beside_their_forms(dashboard, admin_page):
    page = admin_page
    page.goto(dashboard.url + "/settings")
    page.get_by_label("Display name").fill("results wall")
    page.get_by_role("button", name="Create display").click()
    assert_seen(page, "display results wall", error=False)
    page.get_by_label("Display name").fill("results wall")  # taken now
    page.get_by_role("button", name="Create display").click()
    assert_seen(page, "results wall", error=True)


def test_a_refused_login_is_seen(browser, dashboard):
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    try:
        page.goto(dashboard.url + "/login")
        page.get_by_label("User name").fill(PERSONAS["admin"])
        page.get_by_label("Password").fill(PASSWORD + " typo")
        page.get_by_role("button", name="Log in").click()
        result = page.locator("[data-result]", has_text="Wrong user name or password")
        expect(result).to_be_visible()
        assert in_view(result)
        expect(result).to_have_attribute("role", "alert")
    finally:
        page.context.close()
