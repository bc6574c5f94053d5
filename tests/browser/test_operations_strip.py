"""What is happening now, where a person looks: the operations strip on every page at 1440x900
and 1920x1080 for each role after a burst of operations and a failed evacuation (three lines
at most, "and N more", the failure with a red mark and Incus's reason and no bar, the page's
heading above the fold), folded to one line and remembered; everything gone on its own once
recent_seconds passed. The wall display counts an evacuation apart from EVACUATED, and keeps
a failed run red until an operator acknowledges it on the Maintenance page."""

import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import logged_in_page
from tests.conftest import MAINTAINED as MEMBER
from tests.conftest import PERSONAS, Dashboard
from webui.services.activity.recent import STRIP_LINES

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

RECENT = 30  # the dashboard's recent_seconds here: long enough to look at six pages, short to wait for
SIZES = {"1440x900": (1440, 900), "1920x1080": (1920, 1080)}
# A heading line and three lines of about 30 px each, with the strip's padding and margin.
STRIP_MAX_PX = 150
FOLDED_MAX_PX = 45
CRIU = "CRIU isn't installed"


@pytest.fixture
def quick(cluster, tmp_path_factory) -> Iterator[Dashboard]:
    """A dashboard of its own (its own database: no failure of another test waits for
    acknowledgement in it), where "just ended" lasts RECENT seconds."""
    server = Dashboard(
        cluster.settings_file, tmp_path_factory.mktemp("strip") / "webui.db", INCUS_WEBUI_RECENT_SECONDS=str(RECENT)
    )
    yield server
    server.stop()


def fail_an_evacuation(cluster) -> None:
    """A live migration of containers, which Incus refuses without CRIU: EVACUATE FAILED."""
    failed = cluster.incus("cluster", "evacuate", MEMBER, "--action", "live-migrate", "--force", check=False)
    assert failed.returncode != 0 and CRIU in failed.stderr, failed.stderr
    if cluster.member_status(MEMBER) == "Evacuated":
        cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)


def member_page(browser, dashboard: Dashboard, role: str, size: str) -> Page:
    width, height = SIZES[size]
    page = logged_in_page(browser, dashboard, role, viewport={"width": width, "height": height})
    page.goto(f"{dashboard.url}/members/{MEMBER}")
    page.evaluate("window.loadedOnce = true")
    return page


def test_the_strip_shows_what_is_happening_now_to_every_role(cluster, quick, browser, crowded):
    pages = {(role, size): member_page(browser, quick, role, size) for role in PERSONAS for size in SIZES}
    try:
        busy = next(name for name in crowded if name.endswith("mt1"))
        for n in range(8):  # a burst of operations that end at once
            cluster.incus("snapshot", "create", busy, f"strip{n}")
        fail_an_evacuation(cluster)
        for (role, size), page in pages.items():
            strip = page.locator("#operations")
            lines = strip.locator(".strip-line")
            expect(lines).to_have_count(STRIP_LINES)
            expect(strip.locator(".strip-more")).to_have_text(re.compile(r"^and \d+ more$"))
            failure = lines.filter(has_text="EVACUATE FAILED")
            expect(failure).to_have_count(1)
            expect(failure.locator(".run-mark")).to_have_text("✕")
            expect(failure).to_contain_text(CRIU)
            expect(failure.locator("progress")).to_have_count(0)
            box = strip.bounding_box()
            assert box and box["height"] <= STRIP_MAX_PX, (role, size, box)
            # Measured at one instant: the member page is redrawn live, and an element a
            # locator found may be replaced before its box is read.
            bottom = page.evaluate("() => document.querySelector('main h1').getBoundingClientRect().bottom")
            assert bottom <= SIZES[size][1], (role, size, bottom)
            expect(page.locator(".member-maintenance")).to_contain_text("just ended")

        admin = pages[("admin", "1440x900")]
        fold = admin.locator("#operations [data-strip-fold]")
        fold.click()
        expect(fold).to_have_attribute("aria-expanded", "false")
        box = admin.locator("#operations").bounding_box()
        assert box and box["height"] <= FOLDED_MAX_PX, box
        admin.reload()  # remembered by this browser
        expect(admin.locator("#operations")).to_have_class(re.compile(r"\bfolded\b"))
        box = admin.locator("#operations").bounding_box()
        assert box and box["height"] <= FOLDED_MAX_PX, box
        admin.evaluate("window.loadedOnce = true")
        expect(pages[("admin", "1920x1080")].locator("#operations")).not_to_have_class(re.compile("folded"))

        # No change in the cluster now: what ended leaves every page on its own.
        # (An operation whose end the watcher missed counts as ended when it finds out, up to
        # QUIET_OPERATION seconds later: hence the margin.)
        for page in pages.values():
            lines = page.locator("#operations .strip-line")
            try:
                expect(lines).to_have_count(0, timeout=(RECENT + 30) * 1000)
            except AssertionError as exc:
                raise AssertionError(f"still in the strip: {lines.all_inner_texts()}") from exc
            expect(page.locator(".member-maintenance")).to_have_count(0)
            assert page.evaluate("window.loadedOnce") is True
    finally:
        for page in pages.values():
            page.context.close()


def evacuate_watching(cluster, wall: Page) -> list[tuple[str, str, str]]:
    """Evacuate the member from the CLI while reading its tile's headline and the header's
    EVACUATING and EVACUATED counts; the samples taken while the tile said EVACUATING."""
    done = threading.Event()

    def evacuate() -> None:
        try:
            cluster.incus("cluster", "evacuate", MEMBER, "--action", "migrate", "--force", timeout=300)
        finally:
            done.set()

    thread = threading.Thread(target=evacuate)
    thread.start()
    seen = []
    try:
        while not done.is_set():
            # In one read: the tile and the header as they stand together on the screen.
            sample = wall.evaluate(
                """member => [document.querySelector(`#noc-member-${member} .noc-status`).innerText,
                   document.querySelector('#noc-total-evacuating dd').innerText,
                   document.querySelector('#noc-total-evacuated dd').innerText]""",
                MEMBER,
            )
            if "EVACUATING" in sample[0]:
                seen.append(tuple(sample))
            wall.wait_for_timeout(100)
    finally:
        thread.join()
    return seen


def test_the_wall_says_evacuating_and_keeps_a_failure_red_until_acknowledged(cluster, quick, browser, crowded):
    wall = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    wall.goto(quick.display_url("strip-wall"))
    tile = wall.locator(f"#noc-member-{MEMBER} .noc-tile")
    operator = logged_in_page(browser, quick, "operator", viewport={"width": 1440, "height": 900})
    auditor = quick.login("auditor")
    try:
        evacuated_before = int(wall.locator("#noc-total-evacuated dd").inner_text())
        seen = evacuate_watching(cluster, wall)
        assert seen, "the tile never said EVACUATING while the instances moved"
        wrong = [sample for sample in seen if sample[1:] != ("1", str(evacuated_before))]
        assert not wrong, wrong
        expect(tile.locator(".noc-status")).to_contain_text("EVACUATED", timeout=30000)
        expect(wall.locator("#noc-total-evacuating dd")).to_have_text("0")
        cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)

        fail_an_evacuation(cluster)
        expect(tile).to_have_class(re.compile(r"\bstatus-failed\b"), timeout=15000)
        expect(tile).to_contain_text("EVACUATE FAILED")
        expect(tile).to_contain_text(CRIU)
        expect(wall.locator("#noc-total-failed-runs dd")).to_have_text("1")

        page = auditor.get("/maintenance").text  # an auditor sees it waits, and cannot acknowledge
        assert "not acknowledged yet" in page and ">Acknowledge<" not in page
        operation_id = re.search(r'id="maintenance-run-([^"]+)"', page)[1]
        assert auditor.post(f"/maintenance/{operation_id}/acknowledge").status_code == 403

        operator.goto(quick.url + "/maintenance")
        row = operator.locator("table.maintenance-runs tbody tr", has_text=CRIU)
        row.get_by_role("button", name="Acknowledge").click()
        row = operator.locator("table.maintenance-runs tbody tr", has_text=CRIU)
        expect(row).to_contain_text(f"acknowledged by {PERSONAS['operator']}")
        box = row.bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= 900, box  # where the eye is

        expect(tile).not_to_have_class(re.compile(r"\bstatus-failed\b"), timeout=15000)
        expect(wall.locator("#noc-total-failed-runs")).to_have_count(0)
        audit = quick.get("/audit.json", params={"action": "acknowledge-maintenance"}).json()
        assert {(r["actor"], r["target"], r["outcome"]) for r in audit} >= {
            (PERSONAS["operator"], operation_id, "succeeded")
        }, audit
    finally:
        auditor.close()
        operator.context.close()
        wall.context.close()
