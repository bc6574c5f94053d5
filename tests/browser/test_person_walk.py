"""What a person sees, checked on every page (and dialog) at 1440x900 and 1920x1080 for each
role: no horizontal scrollbar, the operations strip within its height, no raw dict, JSON or bare
hex identity in the visible text, the navigation on one line, and a form's outcome inside the
window. The pages come from the app's routes (tests/browser/pages.py), so a new page is walked.

One browser, one context per role, one tab reused for every page and both window sizes: the
walk is done once per module, and each test below reads its own kind of finding from it."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import in_view, logged_in_page
from tests.browser.pages import DIALOGS, EXPECTED, PAGES, a_maintenance_run, html_route_names, open_dialog
from tests.conftest import PERSONAS, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

VIEWPORTS = ((1440, 900), (1920, 1080))
# The operations strip (#operations): at most three rows at 1440x900 (issue 31, item 2), a row
# being about 40 px with its padding.
STRIP_LIMIT = 120
# Text a person should never read: a dict or JSON as Python or a serializer printed it...
# (a brace or bracket, then a quoted key and its colon: not Incus's own `"URL": reason` words).
RAW = re.compile(r"""[{\[]\s*["'][^"'\n]{0,80}["']\s*:""")
# ...or an identity as a bare hex run (an operation's whole UUID, a certificate's fingerprint
# standing for its name), where a name, a short form or a tooltip belongs.
HEX = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{12,}(?![0-9a-fA-F])")

# The pages that say who asked for each change (an account, the incus CLI, a certificate).
WHO_PAGES = ("/history", "/audit")

# The text of every visible element, as a person reads it: hidden parts, scripts and tooltips
# (title attributes) are not text. A labelled fingerprint (`.fingerprint`, "Fingerprint: ...")
# is the datum itself, not an identity standing for a name.
VISIBLE_TEXT = """() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest("script, style, template, .fingerprint")) continue;
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
    parts.push(node.textContent);
  }
  return parts.join(" ");
}"""
# What overflows sideways, and the navigation's lines (the tops of its links).
LAYOUT = """() => ({
  scrollWidth: document.scrollingElement.scrollWidth,
  width: window.innerWidth,
  strip: (document.getElementById("operations") || { getBoundingClientRect: () => ({ height: 0 }) })
    .getBoundingClientRect().height,
  navTops: [...document.querySelectorAll("header.top nav a, header.top .whoami button")]
    .map(el => Math.round(el.getBoundingClientRect().top)),
})"""


@dataclass
class Walk:
    """What the walk found, by kind; each entry says where ("admin 1440x900 /cluster: ...")."""

    walked: set[str] = field(default_factory=set)  # route names opened by at least one role
    scrollbar: list[str] = field(default_factory=list)
    strip: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    asked_by: list[str] = field(default_factory=list)  # hex identities on the pages that say who asked
    navigation: list[str] = field(default_factory=list)
    results: list[str] = field(default_factory=list)


def lines(tops: list[int]) -> int:
    """How many lines elements at these tops make (a button sits a few pixels above a link)."""
    ordered = sorted(tops)
    return 1 + sum(1 for above, below in zip(ordered, ordered[1:], strict=False) if below - above > 8)


def look(page: Page, where: str, walk: Walk) -> None:
    """The page as it is now, checked as a person would look at it."""
    layout = page.evaluate(LAYOUT)
    if layout["scrollWidth"] > layout["width"]:
        walk.scrollbar.append(f"{where}: {layout['scrollWidth']} px wide in a {layout['width']} px window")
    if layout["strip"] > STRIP_LIMIT:
        walk.strip.append(f"{where}: the operations strip is {layout['strip']:.0f} px tall")
    if (count := lines(layout["navTops"])) > 1:
        walk.navigation.append(f"{where}: the navigation takes {count} lines")
    text = page.evaluate(VISIBLE_TEXT)
    for raw in RAW.finditer(text):
        walk.raw.append(f"{where}: {text[max(0, raw.start() - 40) : raw.end() + 40]!r}")
    for found in HEX.finditer(text):
        around = text[max(0, found.start() - 40) : found.end() + 20]
        kind = walk.asked_by if where.split()[2] in WHO_PAGES else walk.raw
        kind.append(f"{where}: a bare hex identity {found.group()} in {around!r}")


def walk_role(browser: Browser, dashboard, role: str, paths: dict[str, str], walk: Walk) -> None:
    page = logged_in_page(browser, dashboard, role)
    try:
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            for name, path in paths.items():
                reply = page.goto(dashboard.url + path)
                assert reply is not None
                if reply.status == 403 and role != "admin":  # a page this role may not open
                    continue
                assert reply.status == 200, (role, path, reply.status)
                expect(page.locator("main")).to_be_visible()
                walk.walked.add(name)
                look(page, f"{role} {width}x{height} {path}", walk)
                if name == "cluster" and role == "admin":
                    save_unchanged(page, f"{role} {width}x{height} {path}", walk)
            page.goto(dashboard.url + "/members/member3")
            dialog = page.locator("#dialog")
            for name, path in DIALOGS.items():
                with page.expect_response(lambda r, path=path: r.url.endswith(path)) as answer:
                    open_dialog(page, path)
                if answer.value.status == 403:
                    continue
                expect(dialog).to_be_visible()
                walk.walked.add(name)
                look(page, f"{role} {width}x{height} {path} (dialog)", walk)
                page.keyboard.press("Escape")
                expect(dialog).to_be_hidden()
    finally:
        page.context.close()


def save_unchanged(page: Page, where: str, walk: Walk) -> None:
    """An action's result, where the admin looks: Save at the foot of the long configuration
    form, pressed with nothing changed, says so beside the button."""
    save = page.locator("#config-form").get_by_role("button", name="Save")
    save.scroll_into_view_if_needed()  # where the admin's eye is, at the end of the form
    save.click()
    result = page.locator("#config-form [data-result]", has_text="Nothing to save")
    expect(result).to_be_visible()
    if not in_view(result):
        walk.results.append(f"{where}: the result of Save is outside the window")


@pytest.fixture(scope="module")
def walk(browser: Browser, cluster, dashboard) -> Iterator[Walk]:
    wait_until(lambda: dashboard.get("/api/v1").status_code == 200, timeout=30)  # /1.0 read: keys to show
    paths = {**PAGES, "maintenance_run": f"/maintenance/{a_maintenance_run(cluster, dashboard)}"}
    found = Walk()
    for role in PERSONAS:
        walk_role(browser, dashboard, role, paths, found)
    yield found


def test_the_walk_opens_every_page_and_dialog(cluster, tmp_path_factory, walk):
    routes = html_route_names(cluster, tmp_path_factory.mktemp("routes"))
    assert len(routes) == EXPECTED, sorted(routes)
    assert walk.walked == set(PAGES) | set(DIALOGS)
    assert walk.walked <= routes


def test_no_page_scrolls_sideways(walk):
    assert walk.scrollbar == []


def test_no_raw_dict_json_or_hex_identity_in_visible_text(walk):
    assert walk.raw == []


def test_the_navigation_fits_one_line(walk):
    assert walk.navigation == []


def test_a_result_shows_where_the_admin_looks(walk):
    assert walk.results == []


def test_who_asked_is_never_a_bare_hex_identity(walk):
    assert walk.asked_by == []


def test_the_operations_strip_stays_within_three_rows(walk):
    assert walk.strip == []


@pytest.mark.parametrize("width", [1280, 1440])
def test_the_navigation_fits_one_line_from_1280_px(browser, dashboard, width):
    page = logged_in_page(browser, dashboard, "admin")  # the admin has the most links
    try:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(dashboard.url + "/")
        assert lines(page.evaluate(LAYOUT)["navTops"]) == 1
    finally:
        page.context.close()
