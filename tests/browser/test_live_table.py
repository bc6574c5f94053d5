"""The member table in a real browser: live updates without a reload, text stays text."""

import pytest
from playwright.sync_api import expect

from tests.conftest import edit_member, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
# Live, without a reload, is what is tested here; how fast is for bench/. Late in the suite a
# member of the shared test cluster can stop answering for seconds (ReadTimeouts in CI's log):
# the change then shows once the dashboard has moved to another member.
LIVE_MS = 30_000


def test_the_table_updates_live_without_a_reload(cluster, dashboard, page, restore_description):
    name = restore_description
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(dashboard.url + "/")
    row = page.locator(f"#member-{name}")
    expect(row).to_contain_text("ONLINE")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads

    edit_member(cluster, name, description="<b>live</b> from the CLI")

    # First the dashboard's own view (its snapshot), then the page: a failure says which missed it.
    try:
        wait_until(lambda: described(dashboard, name) == "<b>live</b> from the CLI", timeout=LIVE_MS / 1000)
    except TimeoutError:
        pytest.fail(f"the dashboard never heard of the change: its snapshot says {described(dashboard, name)!r}")
    expect(row).to_contain_text("<b>live</b> from the CLI", timeout=LIVE_MS)
    assert page.evaluate("window.loadedOnce") is True
    assert page.locator(f"#member-{name} b").count() == 0  # shown as text, not markup
    assert not errors, errors


def test_the_member_page_shows_state_and_updates_live(cluster, dashboard, page, restore_description):
    name = restore_description
    page.goto(dashboard.url + f"/members/{name}")
    expect(page.locator("#member-detail")).to_contain_text("Uptime")
    edit_member(cluster, name, description="seen on the member page")
    expect(page.locator("#member-detail")).to_contain_text("seen on the member page", timeout=LIVE_MS)


def described(dashboard, name: str) -> str:
    """A member's description as the dashboard's snapshot has it (`/api/v1`, not Incus)."""
    members = dashboard.get("/api/v1/cluster/members", params={"recursion": 1}).json()["metadata"]
    return next(m["description"] for m in members if m["server_name"] == name)
