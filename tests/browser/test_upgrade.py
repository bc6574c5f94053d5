"""The Upgrade page as each role sees it on the test cluster (one version everywhere), and a
real rolling upgrade, Incus 6.0 to 7.0, member by member, while a browser watches.

Incus's rule: a member restarted on 7.0 waits for the others and answers nothing (not even
`/1.0`) until the last one is upgraded; the members not upgraded yet show BLOCKED, "Needs
updating to newer version", from their own view. At each step the page must show the members as
an old member's `incus cluster list` does, talk to a member that still answers, and say which
members are left to upgrade; after the last one everything is back to normal without a reload.

member1 goes first: it is the one address the dashboard was configured with, so the dashboard
must fail over. Containers started by 6.0 keep running through the upgrade; nothing here starts
one on 7.0 (the sid root's liblxc often cannot on a cgroup v1 host)."""

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import logged_in_page
from tests.conftest import Dashboard, wait_until
from tests.upgrade_rig import UpgradeRig

pytestmark = [pytest.mark.cluster, pytest.mark.browser]
INSIDE_VIEWPORT = """el => { const r = el.getBoundingClientRect();
  return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; }"""


@pytest.mark.parametrize("size", [(1440, 900), (1920, 1080)], ids=["1440x900", "1920x1080"])
@pytest.mark.parametrize("role", ["admin", "operator", "auditor"])
def test_with_one_version_everywhere_the_page_says_there_is_nothing_to_upgrade(
    browser: Browser, dashboard: Dashboard, server_fetched, role: str, size: tuple[int, int]
):
    """Seen on a real cluster: the page offered Start with every member on one version."""
    page = logged_in_page(browser, dashboard, role, viewport={"width": size[0], "height": size[1]})
    try:
        page.goto(dashboard.url + "/upgrade")
        said = page.locator(".nothing-to-do")
        expect(said).to_have_text(re.compile(r"^Every member runs Incus 6\.0\.\d+: there is nothing to upgrade\.$"))
        assert said.evaluate(INSIDE_VIEWPORT), "the sentence is outside the viewport"
        expect(page.get_by_role("button", name=re.compile("start", re.IGNORECASE))).to_have_count(0)
        plan = page.get_by_role("button", name="Plan an upgrade to a newer Incus…")
        expect(plan).to_have_count(1 if role == "admin" else 0)
    finally:
        page.context.close()


def test_the_confirmation_says_the_plan_in_words(browser: Browser, dashboard: Dashboard, server_fetched):
    """Start asks first, with the order and why: the member the dashboard talks to comes last."""
    talking_to = httpx.get(dashboard.url + "/healthz", timeout=15).json()["member"]
    page = logged_in_page(browser, dashboard, viewport={"width": 1440, "height": 900})
    try:
        page.goto(dashboard.url + "/upgrade")
        page.get_by_role("button", name="Plan an upgrade to a newer Incus…").click()
        dialog = page.locator("#dialog")
        expect(dialog).to_be_visible()
        page.get_by_label("Upgrade to").fill("99.0")
        expect(dialog).to_contain_text("to 99.0, one at a time, in this order")
        last = dialog.locator(".upgrade-order li").last
        expect(last).to_contain_text(f"{talking_to} · Last: the dashboard talks to this member")
        page.get_by_label("stop", exact=True).check()
        expect(dialog).to_contain_text("Each member is evacuated with mode stop")
        start = dialog.get_by_role("button", name="Start the guided upgrade")
        assert start.evaluate(INSIDE_VIEWPORT), "Start is outside the viewport"
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        expect(page.locator(".nothing-to-do")).to_be_visible()  # nothing started
    finally:
        page.context.close()


def shown_rows(page: Page) -> dict[str, tuple[str, str]]:
    """Each member's status and message as the member table shows them."""
    cells = page.eval_on_selector_all(
        "#members tr[id^=member-]",
        "rows => rows.map(r => [r.id.slice(7), r.cells[6].innerText.trim(), r.cells[7].innerText.trim()])",
    )
    return {name: (status, message) for name, status, message in cells}


def wait_shown_as_incus_reports(page: Page, rig: UpgradeRig, via: str) -> None:
    """Until the table shows every member as `incus cluster list` on `via` does at that moment."""
    assert wait_until(lambda: (theirs := rig.incus_rows(via)) and shown_rows(page) == theirs, timeout=90), (
        shown_rows(page), rig.incus_rows(via)
    )


def wait_talking_to_one_of(dashboard: Dashboard, members: list[str]) -> str:
    def member_in_use() -> str | None:
        reply = httpx.get(dashboard.url + "/healthz", timeout=15)
        return reply.json()["member"] if reply.status_code == 200 and reply.json()["member"] in members else None

    return str(wait_until(member_in_use, timeout=60))


@pytest.fixture
def watching(upgrade_rig: UpgradeRig, browser: Browser) -> Iterator[Page]:
    """A browser on the throwaway cluster's dashboard, logged in as admin."""
    page = logged_in_page(browser, upgrade_rig.dashboard)
    yield page
    page.context.close()


@pytest.mark.lts7
def test_members_upgraded_one_by_one_are_shown_as_incus_reports_them(upgrade_rig, watching):
    rig, dashboard, page = upgrade_rig, upgrade_rig.dashboard, watching
    members = list(rig.cluster.members)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.goto(dashboard.url + "/")
    for name in members:
        expect(page.locator(f"#member-{name} td.version")).to_have_text(re.compile(r"^6\.0\.\d+$"), timeout=15000)
    expect(page.locator("#upgrade-banner")).to_have_count(0)
    page.evaluate("window.loadedOnce = true")  # gone if the page reloads
    banner = page.locator("#upgrade-banner")
    panel = page.context.new_page()  # a second tab, on the cluster page's upgrade panel
    panel.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    panel.goto(dashboard.url + "/cluster")
    expect(panel.locator("#upgrades")).to_contain_text("Every member runs Incus 6.0.")

    for step, name in enumerate(members):
        upgraded, left = members[: step + 1], members[step + 1 :]
        outcome = rig.upgrade(name)
        if left:
            assert outcome == "waiting"
            rig.wait_blocked(left)
            wait_shown_as_incus_reports(page, rig, left[0])
            expect(banner).to_contain_text("Needs updating to newer version")
            expect(banner).to_contain_text(f"Next: upgrade {', '.join(left)} to the new version", timeout=30000)
            expect(banner).to_contain_text(f"answering nothing until then: {', '.join(upgraded)}", timeout=30000)
            expect(panel.locator("#upgrades")).to_contain_text(f"Next: upgrade {', '.join(left)}.")
            for member in left:
                expect(panel.locator(f"#upgrade-{member}")).to_contain_text("BLOCKED")
                expect(panel.locator(f"#upgrade-{member}")).to_contain_text("Needs updating to newer version")
            for member in upgraded:
                expect(panel.locator(f"#upgrade-{member}")).to_contain_text("not answering")
            # The dashboard talks to a member that still answers, and marks it.
            in_use = wait_talking_to_one_of(dashboard, left)
            expect(page.locator(f"#member-{in_use} .mark-connected")).to_have_count(1, timeout=15000)
        else:
            assert outcome == "ready"
            rig.wait_online(name)
            wait_shown_as_incus_reports(page, rig, name)
            try:
                expect(banner).to_have_count(0, timeout=60000)
            except AssertionError:
                raise AssertionError(f"the banner stayed: {banner.inner_text()}") from None
            for member in members:
                expect(page.locator(f"#member-{member} td.version")).to_have_text(
                    re.compile(r"^7\.0\.\d+$"), timeout=30000
                )
            assert set(shown_rows(page).values()) == {("ONLINE", "Fully operational")}
    assert page.evaluate("window.loadedOnce") is True, "the page reloaded"
    expect(panel.locator("#upgrades")).to_contain_text("Every member runs Incus 7.0.", timeout=30000)
    assert not problems, problems
    assert "Traceback" not in dashboard.log_file.read_text()
