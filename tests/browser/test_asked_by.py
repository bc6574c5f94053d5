"""Who asked for an evacuation reads as a person would say it, on a real cluster: the incus CLI
on member3's unix socket reads "incus CLI (unix socket) on member3", the dashboard's own
restore reads as the account that asked; Incus's raw identity is only in the tooltip (and the
API). Looked at where a person looks, the run page's top, at two sizes and in each role."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import logged_in_page
from tests.conftest import PERSONAS, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

MEMBER = "member3"  # member2 is the one other tests crowd and evacuate
SIZES = ({"width": 1440, "height": 900}, {"width": 1920, "height": 1080})
CLI_WORDS = f"incus CLI (unix socket) on {MEMBER}"


def ended_run(dashboard, kind: str, after: set[str]) -> dict:
    """The run of `kind` on MEMBER not in `after`, once ended and its requestor known."""

    def check() -> dict | None:
        runs = dashboard.get("/api/v1/maintenance", params={"member": MEMBER, "kind": kind}).json()["metadata"]
        new = [r for r in runs if r["operation_id"] not in after]
        # Incus names the requestor in its event at the run's end, a moment after it ended.
        return new[0] if new and new[0]["outcome"] != "running" and new[0]["requestor"] else None

    return wait_until(check, timeout=120)


def known_runs(dashboard) -> set[str]:
    runs = dashboard.get("/api/v1/maintenance", params={"member": MEMBER}).json()["metadata"]
    return {r["operation_id"] for r in runs}


@pytest.fixture(scope="module")
def runs(cluster, dashboard) -> Iterator[tuple[dict, dict]]:
    """An evacuation of member3 from the CLI on member3's own socket, then a restore from the
    dashboard by the admin: both ended."""
    before = known_runs(dashboard)
    cluster.incus("cluster", "evacuate", MEMBER, "--force", "--action", "stop", member=MEMBER, timeout=300)
    try:
        evacuation = ended_run(dashboard, "evacuate", before)
        member = f"/api/v1/cluster/members/{MEMBER}"
        wait_until(lambda: dashboard.get(member).json()["metadata"]["status"] == "Evacuated")
        reply = dashboard.admin.post(f"/api/v1/cluster/members/{MEMBER}/state", json={"action": "restore"})
        assert reply.status_code == 202, reply.text
        restore = ended_run(dashboard, "restore", before)
        yield evacuation, restore
    finally:
        if cluster.query(f"/1.0/cluster/members/{MEMBER}")["status"] != "Online":
            cluster.incus("cluster", "restore", MEMBER, "--force", timeout=300)


def dashboard_fingerprint(cluster) -> str:
    return next(c["fingerprint"] for c in cluster.query("/1.0/certificates?recursion=1") if c["name"] == "incus-webui")


def test_the_api_keeps_the_raw_identity_beside_the_words(cluster, runs):
    evacuation, restore = runs
    assert (evacuation["asked_by"], evacuation["requestor"], evacuation["account"]) == (CLI_WORDS, "unix/root (@)", "")
    assert restore["asked_by"] == restore["account"] == PERSONAS["admin"]
    assert restore["requestor"].startswith(f"tls/{dashboard_fingerprint(cluster)} (")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
@pytest.mark.parametrize("role", sorted(PERSONAS))
def test_a_cli_evacuation_reads_as_the_incus_cli_with_the_raw_identity_only_in_the_tooltip(
    browser, dashboard, runs, role, size
):
    evacuation, _ = runs
    page = logged_in_page(browser, dashboard, role, viewport=size)
    try:
        page.goto(dashboard.url + f"/maintenance/{evacuation['operation_id']}")
        asker = page.locator(".legend .who")
        expect(asker).to_have_text(CLI_WORDS)
        expect(asker).to_be_in_viewport()
        expect(asker).to_have_attribute("title", "unix/root (@)")
        visible = page.locator("main").inner_text()
        assert "unix/root" not in visible and "root unix" not in visible

        page.goto(dashboard.url + f"/maintenance?member={MEMBER}")
        row = page.locator("table.maintenance-runs tbody tr", has_text="evacuate").first
        expect(row.locator(".who")).to_have_text(CLI_WORDS)
    finally:
        page.context.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
def test_the_dashboards_own_restore_reads_as_the_account(browser, cluster, dashboard, runs, size):
    _, restore = runs
    page = logged_in_page(browser, dashboard, "auditor", viewport=size)
    try:
        page.goto(dashboard.url + f"/maintenance/{restore['operation_id']}")
        asker = page.locator(".legend .who")
        expect(asker).to_have_text(PERSONAS["admin"])
        expect(asker).to_be_in_viewport()
        title = asker.get_attribute("title") or ""
        fingerprint = dashboard_fingerprint(cluster)
        assert title.startswith(f"tls/{fingerprint} (")
        assert fingerprint not in page.locator("main").inner_text()
    finally:
        page.context.close()
