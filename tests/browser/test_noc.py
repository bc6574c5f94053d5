"""The wall display in a real browser: a frozen member's tile turns OFFLINE and back, and the
display says STALE, loudly, when it loses the dashboard."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import Dashboard

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# Which tiles started blinking (noc.js adds noc-new-problem when a problem appears): a tile's
# class before its first change in a batch of records, against its class now (a batch can hold
# several changes of one tile: htmx taking its htmx-added off, noc.js adding the blink).
RECORD_BLINKS = """window.blinks = []; window.tones = [];
new MutationObserver(records => {
  const before = new Map();
  records.forEach(r => before.has(r.target) || before.set(r.target, r.oldValue || ''));
  before.forEach((old, tile) => {
    if (tile.classList.contains('noc-new-problem') && !old.includes('noc-new-problem'))
      window.blinks.push(tile.getAttribute('data-member'));
  });
}).observe(document, {subtree: true, attributes: true, attributeFilter: ['class'], attributeOldValue: true});"""


@pytest.fixture
def wall(browser):
    """A browser with no session at all: a wall display has only its token."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_a_frozen_member_turns_offline_then_online(cluster, dashboard, wall):
    page = wall
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1600, "height": 900})
    page.add_init_script(RECORD_BLINKS)
    page.goto(dashboard.display_url("wall-browser"))
    tile = page.locator("#noc-member-member3")
    expect(tile).to_contain_text("ONLINE")
    expect(page.locator("#noc-clock")).not_to_have_text("--:--:--")
    expect(page.locator("#noc-stale")).to_be_hidden()
    page.evaluate("window.loadedOnce = true")
    # Sound is one click away; each tone played is noted here.
    page.get_by_role("button", name="Sound off").click()
    expect(page.get_by_role("button", name="Sound on")).to_have_attribute("aria-pressed", "true")
    page.evaluate("""() => { const play = window.incusWebui.nocSound;
      window.incusWebui.nocSound = severity => { window.tones.push(severity); play(severity); }; }""")
    cluster.freeze("member3")
    try:
        expect(tile).to_contain_text("OFFLINE", timeout=60000)
        expect(tile.locator(".noc-tile")).to_have_class("noc-tile status-offline")
        # At least this one: while the leader's heartbeat round waits on the frozen member,
        # Incus may briefly report the others offline too.
        expect(page.locator("#noc-total-offline dd")).to_have_text(re.compile(r"^[1-9]"))
        # The new problem blinked once and sounded the critical tone.
        assert page.evaluate("window.blinks.filter(name => name === 'member3').length") == 1
        assert "critical" in page.evaluate("window.tones")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "noc.png"))
    finally:
        cluster.thaw("member3")
    expect(tile).to_contain_text("ONLINE", timeout=60000)
    expect(page.locator("#noc-total-offline dd")).to_have_text("0", timeout=30000)
    assert page.evaluate("window.loadedOnce") is True  # updated in place, never reloaded
    assert not errors, errors


def test_the_display_says_stale_when_the_dashboard_goes_away_and_recovers_by_itself(cluster, wall, tmp_path):
    page = wall
    own = Dashboard(cluster.settings_file, tmp_path / "webui.db")
    try:
        page.goto(own.display_url("wall-stale"))
        expect(page.locator("#noc-member-member1")).to_contain_text("ONLINE")
        expect(page.locator("#noc-stale")).to_be_hidden()
        page.evaluate("window.loadedOnce = true")
    finally:
        own.stop()
    stale = page.locator("#noc-stale")
    expect(stale).to_be_visible(timeout=10000)
    expect(stale).to_contain_text("STALE")
    expect(stale).to_contain_text("dashboard unreachable")
    expect(page.locator("body")).to_have_class("noc stale")
    back = Dashboard(cluster.settings_file, tmp_path / "webui.db", port=own.port)
    try:
        expect(stale).to_be_hidden(timeout=40000)  # reconnected, with htmx's backoff
        expect(page.locator("#noc-member-member1")).to_contain_text("ONLINE")
        assert page.evaluate("window.loadedOnce") is True  # without a reload
    finally:
        back.stop()
