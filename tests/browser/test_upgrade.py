"""A real rolling upgrade, Incus 6.0 to 7.0, member by member, while a browser watches.

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
from tests.conftest import Dashboard, UpgradeRig, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser, pytest.mark.lts7]


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
            # The dashboard talks to a member that still answers, and marks it.
            in_use = wait_talking_to_one_of(dashboard, left)
            expect(page.locator(f"#member-{in_use} .mark-connected")).to_have_count(1, timeout=15000)
        else:
            assert outcome == "ready"
            wait_shown_as_incus_reports(page, rig, name)
            expect(banner).to_have_count(0, timeout=60000)
            for member in members:
                expect(page.locator(f"#member-{member} td.version")).to_have_text(
                    re.compile(r"^7\.0\.\d+$"), timeout=30000
                )
            assert set(shown_rows(page).values()) == {("ONLINE", "Fully operational")}
    assert page.evaluate("window.loadedOnce") is True, "the page reloaded"
    page.goto(dashboard.url + "/cluster")
    expect(page.locator("#upgrades")).to_contain_text("Every member runs Incus 7.0.")
    assert not problems, problems
    assert "Traceback" not in dashboard.log_file.read_text()
