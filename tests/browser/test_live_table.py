"""The member table in a real browser: live updates without a reload, text stays text."""

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import edit_member, known_member, wait_until
from tests.cutter import Cutter

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


def open_table(page: Page, url: str, name: str) -> Locator:
    """The member table open in the browser at `url`, live: `name`'s row."""
    page.add_init_script(STREAM_LOG)
    page.goto(url + "/")
    row = page.locator(f"#member-{name}")
    expect(row).to_contain_text("ONLINE")
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads
    return row


@pytest.fixture
def cutter(dashboard) -> Iterator[Cutter]:
    """The dashboard behind a relay that can break, shut or hold the page's connections (the
    login's cookie is the host's, whatever the port)."""
    cutter = Cutter(dashboard.port)
    yield cutter
    cutter.stop()


def expect_shown(row: Locator, text: str) -> None:
    """The row shows `text` without a reload; a failure says what the page's stream did."""
    try:
        expect(row).to_contain_text(text, timeout=LIVE_MS)
    except AssertionError:
        stream = row.page.evaluate("window.streamLog")
        pytest.fail(f"the dashboard had the change, the page never showed it; its stream: {stream}")
    assert row.page.evaluate("window.loadedOnce") is True


def test_the_table_updates_live_without_a_reload(cluster, dashboard, page, restore_description):
    name = restore_description
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    row = open_table(page, dashboard.url, name)
    text = "<b>live</b> from the CLI"
    edit_member(cluster, name, description=text)

    # First the dashboard's own view (its snapshot), then the page: a failure says which missed it.
    try:
        wait_until(lambda: known_member(dashboard, name)["description"] == text, timeout=LIVE_MS / 1000)
    except TimeoutError:
        said = known_member(dashboard, name)["description"]
        pytest.fail(f"the dashboard never heard of the change: its snapshot says {said!r}")
    expect_shown(row, text)
    assert page.locator(f"#member-{name} b").count() == 0  # shown as text, not markup
    assert not errors, errors


def test_the_member_page_shows_state_and_updates_live(cluster, dashboard, page, restore_description):
    name = restore_description
    page.goto(dashboard.url + f"/members/{name}")
    expect(page.locator("#member-detail")).to_contain_text("Uptime")
    edit_member(cluster, name, description="seen on the member page")
    expect(page.locator("#member-detail")).to_contain_text("seen on the member page", timeout=LIVE_MS)


@pytest.mark.parametrize("down", [0, 8], ids=["cut", "unreachable"])
def test_a_page_whose_stream_broke_shows_what_changed_meanwhile(
    cluster, dashboard, page, cutter, restore_description, down
):
    """The stream broken mid-way (the browser comes back by itself, with the last event's id),
    or the dashboard unreachable for a while (htmx opens a new stream): the page catches up."""
    row = open_table(page, cutter.url, restore_description)
    cutter.open = not down
    cutter.cut()
    text = f"changed while the stream was {'down' if down else 'cut'}"
    edit_member(cluster, restore_description, description=text)
    wait_until(lambda: known_member(dashboard, restore_description)["description"] == text, timeout=LIVE_MS / 1000)
    time.sleep(down)
    cutter.open = True
    expect_shown(row, text)
    # The stream did break and come back (a change reaching an unbroken stream proves nothing).
    opened_failed = [e.split()[1] for e in page.evaluate("window.streamLog") if "sseMessage" not in e]
    # (Its first open may come after the cut: the row is there from the page itself.)
    assert "htmx:sseError" in opened_failed and opened_failed[-1] == "htmx:sseOpen", opened_failed


def test_a_change_right_after_a_whole_table_reaches_the_page(cluster, dashboard, page, cutter, restore_description):
    """A stream that comes back gets the whole table, and a change may follow it at once (in
    the same read, on a slow or busy link): the rows just drawn take that change too. With
    htmx's default settle delay they listened only 20 ms later, and the change was lost."""
    row = open_table(page, cutter.url, restore_description)
    cutter.hold()
    cutter.cut()  # the browser comes back in a few seconds; the dashboard's answer is held
    # A change while it is away, so that it comes back behind and is sent the whole table (a
    # quiet cluster, no new sample in those seconds, would leave it current: no table).
    away = "changed while the stream was away"
    edit_member(cluster, restore_description, description=away)
    wait_until(lambda: known_member(dashboard, restore_description)["description"] == away)
    # Back before the dashboard saw the change, it was current: cut again (what was held never
    # reached the browser, so it comes back with its old event id, now behind).
    for _ in range(3):
        try:
            wait_until(lambda: re.search(rb"^event: members\r?$", cutter.held(), re.M), timeout=8)
            break
        except TimeoutError:
            cutter.cut()
    else:
        raise AssertionError("the stream that came back behind was never sent the whole table")
    text = "changed right after the whole table"
    edit_member(cluster, restore_description, description=text)
    wait_until(lambda: text.encode() in cutter.held(), timeout=LIVE_MS / 1000)
    cutter.release()
    expect_shown(row, text)
