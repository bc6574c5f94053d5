"""The member table in a real browser: live updates without a reload, text stays text."""

import pytest
from playwright.sync_api import expect

from tests.conftest import edit_member, known_member, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
# Live, without a reload, is what is tested here; how fast is for bench/. Late in the suite a
# member of the shared test cluster can stop answering for seconds (ReadTimeouts in CI's log):
# the change then shows once the dashboard has moved to another member.
LIVE_MS = 30_000
# What the page's stream did (opened, failed, each event with its id), for a failure to tell.
STREAM_LOG = """
window.streamLog = [];
["htmx:sseOpen", "htmx:sseError", "htmx:sseMessage"].forEach(function (name) {
  document.addEventListener(name, function (evt) {
    var message = evt.detail || {};
    var at = Math.round(performance.now());
    window.streamLog.push([at, name, message.type || "", message.lastEventId || ""].join(" "));
  });
});
"""


def test_the_table_updates_live_without_a_reload(cluster, dashboard, page, restore_description):
    name = restore_description
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.add_init_script(STREAM_LOG)
    page.goto(dashboard.url + "/")
    row = page.locator(f"#member-{name}")
    expect(row).to_contain_text("ONLINE")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads

    text = "<b>live</b> from the CLI"
    edit_member(cluster, name, description=text)

    # First the dashboard's own view (its snapshot), then the page: a failure says which missed it.
    try:
        wait_until(lambda: known_member(dashboard, name)["description"] == text, timeout=LIVE_MS / 1000)
    except TimeoutError:
        said = known_member(dashboard, name)["description"]
        pytest.fail(f"the dashboard never heard of the change: its snapshot says {said!r}")
    try:
        expect(row).to_contain_text(text, timeout=LIVE_MS)
    except AssertionError:
        stream = page.evaluate("window.streamLog")
        pytest.fail(f"the dashboard had the change, the page never showed it; its stream: {stream}")
    assert page.evaluate("window.loadedOnce") is True
    assert page.locator(f"#member-{name} b").count() == 0  # shown as text, not markup
    assert not errors, errors


def test_the_member_page_shows_state_and_updates_live(cluster, dashboard, page, restore_description):
    name = restore_description
    page.goto(dashboard.url + f"/members/{name}")
    expect(page.locator("#member-detail")).to_contain_text("Uptime")
    edit_member(cluster, name, description="seen on the member page")
    expect(page.locator("#member-detail")).to_contain_text("seen on the member page", timeout=LIVE_MS)
