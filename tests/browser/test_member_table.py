"""The member table in Chromium: sorted and filtered by click or keyboard, columns chosen like
`incus cluster list -c`, and all of it holding while the stream changes the rows."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import edit_member, incus_member, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
NAMES = ("member1", "member2", "member3")


@pytest.fixture
def arranged(cluster) -> Iterator[None]:
    """Descriptions and failure domains to sort and filter on; put back afterwards."""
    before = {name: incus_member(cluster, name) for name in NAMES}
    arrangement = {"member1": ("m middle", "rack-a"), "member2": ("a low", "rack-a"), "member3": ("z top", "rack-b")}
    for name, (description, domain) in arrangement.items():
        edit_member(cluster, name, description=description, failure_domain=domain)
    yield
    for name, member in before.items():
        edit_member(cluster, name, description=member["description"], failure_domain=member["failure_domain"])


def shown(page: Page) -> list[str]:
    """The names of the rows on screen, top to bottom."""
    return page.eval_on_selector_all("#members tr[id^=member-]:not([hidden])", "rows => rows.map(r => r.id.slice(7))")


def test_sort_and_filter_hold_while_rows_change_live(cluster, dashboard, page, arranged):
    page.goto(dashboard.url + "/")
    expect(page.locator("#member-member3 .col-d")).to_have_text("z top", timeout=10000)
    description = page.get_by_role("button", name="DESCRIPTION")
    description.focus()
    page.keyboard.press("Enter")  # ascending
    header = page.locator("th.col-d")
    expect(header).to_have_attribute("aria-sort", "ascending")
    assert shown(page) == ["member2", "member1", "member3"]
    page.keyboard.press("Enter")  # descending
    expect(header).to_have_attribute("aria-sort", "descending")
    assert shown(page) == ["member3", "member1", "member2"]
    page.get_by_label("Filter").fill("domain:rack-a")
    wait_until(lambda: shown(page) == ["member1", "member2"], timeout=5)
    expect(page.locator("#member-count")).to_have_text("2 of 3 members match")
    page.evaluate("window.loadedOnce = true")

    # Live: member2 now sorts first; member3 changes too and stays filtered out.
    edit_member(cluster, "member2", description="zz now first")
    edit_member(cluster, "member3", description="zzz still hidden")
    expect(page.locator("#member-member2 .col-d")).to_have_text("zz now first", timeout=10000)
    expect(page.locator("#member-member3 .col-d")).to_have_text("zzz still hidden", timeout=10000)
    wait_until(lambda: shown(page) == ["member2", "member1"], timeout=5)
    expect(page.locator("#member-member3")).to_be_hidden()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.get_by_label("Filter")).to_have_value("domain:rack-a")
    assert page.evaluate("window.loadedOnce") is True  # no reload
    # Several state samples later (figures redrawn for every row), the same still holds.
    page.wait_for_timeout(5000)
    assert shown(page) == ["member2", "member1"]
    # And the URL keeps both, for a reload or a link.
    assert re.search(r"[?&]q=domain%3Arack-a", page.url) and "sort=-d" in page.url
    page.reload()
    wait_until(lambda: shown(page) == ["member2", "member1"], timeout=10)


def test_sorting_by_a_figure_orders_by_its_value(dashboard, page):
    page.goto(dashboard.url + "/")
    page.get_by_role("button", name="MEMORY").click()
    expect(page.locator("th.col-M")).to_have_attribute("aria-sort", "ascending")
    values = page.eval_on_selector_all(
        "#members tr[id^=member-]:not([hidden]) td.col-M data", "ds => ds.map(d => parseFloat(d.value))"
    )
    assert len(values) == 3 and values == sorted(values)


def test_columns_are_chosen_with_incus_letters_and_remembered(dashboard, page):
    page.goto(dashboard.url + "/")
    page.get_by_text("Columns", exact=True).click()
    letters = page.get_by_label("As in incus cluster list -c")
    letters.fill("nsx")
    expect(page.locator("#member-columns-error")).to_have_text("Unknown column shorthand char 'x' in 'nsx'")
    letters.fill("n,s,h")
    expect(page.locator("#member-columns-error")).to_have_text("")
    visible = "ths => ths.filter(th => th.offsetParent !== null).map(th => th.textContent.trim())"
    assert page.eval_on_selector_all("table.members thead th", visible) == ["NAME", "STATUS", "LOAD, LAST HOUR"]
    page.get_by_label("M memory", exact=True).check()
    page.reload()
    shown_now = page.eval_on_selector_all("table.members thead th", visible)
    assert shown_now == ["NAME", "STATUS", "MEMORY", "LOAD, LAST HOUR"]
    expect(page.locator("#member-member1 td.col-M")).to_contain_text(re.compile(r"GiB of .*GiB"))


def test_sparklines_move_as_the_state_is_sampled(dashboard, page):
    page.goto(dashboard.url + "/")
    spark = page.locator("#member-member1-trend svg.spark")
    line = page.locator("#member-member1-trend path")
    expect(spark).to_be_visible(timeout=10000)
    first = line.get_attribute("d")
    # A few state intervals (2 s in the tests), without a reload. The count of points alone
    # stops growing once an older dashboard thins its hour to the sparkline's 60 points, but
    # the line still slides left as new samples come.
    def moved() -> bool:
        return line.get_attribute("d") != first and int(spark.get_attribute("data-points") or 0) > 1

    wait_until(moved, timeout=20)
    assert re.match(r"M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+$", line.get_attribute("d"))
    assert re.match(
        r"Load over the last hour: \d+ points, lowest \d+\.\d\d, highest \d+\.\d\d, now \d+\.\d\d",
        spark.get_attribute("aria-label"),
    )
