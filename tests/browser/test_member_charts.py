"""The member page's history in Chromium: server-drawn SVG charts whose points tell their value
and time on hover and on keyboard focus, and keep focus while the page redraws live."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
CLOCK = r"\d\d:\d\d:\d\d UTC"


def test_charts_show_value_and_time_on_hover_and_focus(dashboard, page):
    page.goto(dashboard.url + "/members/member1")
    points = page.locator("#chart-load-hour .chart-point")
    wait_until(lambda: points.count() >= 3, timeout=30)
    for chart in ("load-hour", "memory-hour", "load-day", "memory-day"):
        expect(page.locator(f"#chart-{chart} svg")).to_be_visible()
    expect(page.locator("[id^=chart-pool-][id$=-hour]").first).to_be_visible()  # each storage pool

    title = points.last.locator("title").text_content() or ""
    assert re.fullmatch(rf"load \d+\.\d\d at {CLOCK}", title), title
    memory = page.locator("#chart-memory-hour .chart-point title").last.text_content() or ""
    assert re.fullmatch(rf"\d+\.\d\dGiB of \d+\.\d\dGiB \(\d+%\) at {CLOCK}", memory), memory

    readout = page.locator("#chart-load-hour output")
    # Focused and read at once: a redraw in between would make another point the newest.
    label = page.evaluate(
        """() => { const newest = document.querySelector("#chart-load-hour .chart-point[tabindex='0']");
                   newest.focus(); return newest.dataset.label; }"""
    )
    expect(readout).to_have_text(label or "")
    page.keyboard.press("ArrowLeft")
    focused = page.evaluate("document.activeElement.getAttribute('data-label')")
    assert focused and focused != label and re.fullmatch(rf"load \d+\.\d\d at {CLOCK}", focused)
    expect(readout).to_have_text(focused)
    focused_id = page.evaluate("document.activeElement.id")

    # The page redraws at every state sample (2 s here): the focused point keeps focus.
    page.wait_for_timeout(5000)
    assert page.evaluate("document.activeElement.id") == focused_id

    # A young process's points crowd the right edge: the newest is drawn on top of the others.
    points.last.hover()
    expect(readout).not_to_have_text(focused)
    expect(readout).to_have_text(re.compile(rf"^load \d+\.\d\d at {CLOCK}$"))
