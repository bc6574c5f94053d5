"""Action dialogs in a real browser: Cancel does nothing; Confirm changes the cluster, and a
second open page sees the change live."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import in_view, logged_in_page
from tests.conftest import incus_member

pytestmark = [pytest.mark.cluster, pytest.mark.browser]


@pytest.fixture
def second_page(browser, dashboard):
    page = logged_in_page(browser, dashboard, "operator")
    yield page
    page.context.close()


def test_cancel_sends_nothing_and_confirm_changes_roles(cluster, dashboard, page, second_page):
    name = "member2"
    page.goto(dashboard.url + f"/members/{name}")
    dialog = page.locator("#dialog")

    page.get_by_role("button", name="Roles…").click()
    expect(dialog).to_be_visible()
    dialog.get_by_label("event-hub").check()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert "event-hub" not in incus_member(cluster, name)["roles"]

    page.get_by_role("button", name="Roles…").click()
    dialog.get_by_label("event-hub").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_contain_text("saved")
    try:
        assert "event-hub" in incus_member(cluster, name)["roles"]
        expect(second_page.locator(f"#member-{name}")).to_contain_text("event-hub", timeout=5000)
    finally:
        page.get_by_role("button", name="Close").click()
        page.get_by_role("button", name="Roles…").click()
        dialog.get_by_label("event-hub").uncheck()
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_contain_text("saved")
    expect(second_page.locator(f"#member-{name}")).not_to_contain_text("event-hub", timeout=5000)


def test_evacuate_and_restore_through_their_dialogs(cluster, dashboard, page, second_page):
    name = "member3"
    page.goto(dashboard.url + f"/members/{name}")
    dialog = page.locator("#dialog")

    expect(page.get_by_role("button", name="Restore…")).to_be_disabled()
    page.get_by_role("button", name="Evacuate…").click()
    expect(dialog).to_contain_text("What will happen")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert incus_member(cluster, name)["status"] == "Online"

    page.get_by_role("button", name="Evacuate…").click()
    dialog.locator("input[value=stop]").check()
    expect(dialog.locator("#evacuate-plan")).to_contain_text("(stop)")
    dialog.get_by_role("button", name=f"Evacuate {name}").click()
    try:
        started = dialog.locator("[data-result]", has_text="Incus accepted the request")
        expect(started).to_be_visible()
        assert in_view(started)
        expect(dialog).to_contain_text("SUCCEEDED", timeout=60000)
        expect(second_page.locator(f"#member-{name}")).to_contain_text("EVACUATED", timeout=10000)
        # Said to screen readers, politely, on the page that only watched.
        expect(second_page.locator("#announcer[aria-live=polite]")).to_have_text(f"{name} is now EVACUATED")
    finally:
        dialog.get_by_role("button", name="Close").click()
        page.get_by_role("button", name="Restore…").click()
        dialog.get_by_role("button", name=f"Restore {name}").click()
        expect(dialog).to_contain_text("SUCCEEDED", timeout=60000)
    expect(second_page.locator(f"#member-{name}")).to_contain_text("ONLINE", timeout=10000)


def test_an_outcome_that_came_before_the_dialog_listened_reaches_it_from_the_strip(dashboard, page):
    """A restore over in a second can end before the dialog showing it listens for its frames:
    the dialog's chip catches up from the live operations strip (here both are set by hand,
    the strip already showing the end, as the stream left them in CI)."""
    page.goto(dashboard.url + "/members/member3")
    page.evaluate(
        """() => {
          const chip = (status, word) => `<div class="operation operation-${status}" id="operation-op1">`
            + `<strong>Restoring cluster member</strong> <span class="op-status">${word}</span></div>`;
          document.getElementById("operations").insertAdjacentHTML("beforeend", chip("success", "SUCCEEDED"));
          const dialog = document.getElementById("dialog");
          dialog.showModal();
          htmx.swap(dialog, `<div sse-swap="operation-op1" hx-swap="innerHTML">${chip("running", "RUNNING")}</div>`,
            {swapStyle: "innerHTML"});
        }"""
    )
    expect(page.locator("#dialog .operation")).to_have_class("operation operation-success")
    expect(page.locator("#dialog")).to_contain_text("SUCCEEDED")


def test_remove_is_disabled_with_the_reason_while_instances_remain(dashboard, page):
    page.goto(dashboard.url + "/members/member1")
    expect(page.get_by_role("button", name="Remove…", exact=True)).to_be_disabled()
    expect(page.locator("#actions-member1")).to_contain_text("still has")


def test_remove_a_fresh_member_by_typing_its_name(cluster, dashboard, page, second_page):
    name = cluster.add_member()
    try:
        expect(second_page.locator(f"#member-{name}")).to_contain_text("ONLINE", timeout=10000)
        page.goto(dashboard.url + f"/members/{name}")
        dialog = page.locator("#dialog")
        page.get_by_role("button", name="Remove…", exact=True).click()
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        page.get_by_role("button", name="Remove…", exact=True).click()
        dialog.get_by_label("to confirm").fill(name)
        dialog.get_by_role("button", name=f"Remove {name}").click()
        expect(dialog).to_contain_text(f"Incus removed {name}")
        expect(second_page.locator(f"#member-{name}")).to_have_count(0, timeout=10000)
    finally:
        cluster.forget_member(name)


def test_edit_dialog_cancel_then_save_a_description(cluster, dashboard, page, second_page, restore_description):
    name = restore_description
    page.goto(dashboard.url + f"/members/{name}")
    dialog = page.locator("#dialog")
    page.get_by_role("button", name="Edit…").click()
    dialog.get_by_label("Description").fill("typed then cancelled")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert incus_member(cluster, name)["description"] != "typed then cancelled"

    page.get_by_role("button", name="Edit…").click()
    dialog.get_by_label("Description").fill("saved from the browser")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_contain_text("saved")
    assert in_view(dialog.locator("[data-result]", has_text="Incus accepted the change"))
    assert incus_member(cluster, name)["description"] == "saved from the browser"
    expect(second_page.locator(f"#member-{name}")).to_contain_text("saved from the browser", timeout=5000)


def test_force_remove_dialog_spells_out_the_danger(cluster, dashboard, page, second_page):
    name = cluster.add_member()
    try:
        cluster.stop_member(name)
        expect(second_page.locator(f"#member-{name}")).to_contain_text("OFFLINE", timeout=60000)
        page.goto(dashboard.url + f"/members/{name}")
        dialog = page.locator("#dialog")
        page.get_by_role("button", name="Force-remove…").click()
        expect(dialog).to_contain_text("fully reinstalled")
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        expect(second_page.locator(f"#member-{name}")).to_have_count(1)

        page.get_by_role("button", name="Force-remove…").click()
        dialog.get_by_label("to confirm").fill(name)
        dialog.get_by_role("button", name=f"Force-remove {name}").click()
        expect(dialog).to_contain_text("force-removed")
        expect(second_page.locator(f"#member-{name}")).to_have_count(0, timeout=10000)
    finally:
        cluster.forget_member(name)
