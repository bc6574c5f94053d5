"""Incus's warnings against the real cluster: the dev cluster's own (AppArmor disabled, no
blkio.weight, no vhost_vsock...), each step checked with `incus warning list`."""

import json

import pytest
from markupsafe import escape

from tests.conftest import wait_until
from tests.integration.conftest import Session

pytestmark = [pytest.mark.cluster]


def incus_warnings(cluster) -> dict[str, dict]:
    found = json.loads(cluster.incus("warning", "list", "--all", "--format", "json").stdout)
    return {w["uuid"]: w for w in found}


def shown(dashboard) -> dict[str, dict]:
    return {w["uuid"]: w for w in dashboard.get("/api/v1/warnings?recursion=1").json()["metadata"]}


@pytest.fixture(scope="module")
def raised(cluster, dashboard) -> dict[str, dict]:
    """The warnings Incus raised on this machine, once the dashboard shows them all."""
    expected = incus_warnings(cluster)
    assert expected, "the dev cluster raised no warning: nothing here would be tested"
    wait_until(lambda: set(shown(dashboard)) >= set(expected), timeout=30)
    return expected


def a_new_warning(cluster, raised) -> dict:
    now = incus_warnings(cluster)
    return next(w for uuid, w in sorted(now.items()) if w["status"] == "new" and uuid in raised)


def test_the_api_answers_what_incus_warning_list_shows(raised, dashboard):
    listed = shown(dashboard)
    for uuid, warning in raised.items():
        for field in ("type", "location", "project", "severity", "count", "last_message", "entity_url"):
            assert listed[uuid][field] == warning[field], (field, listed[uuid], warning)
    urls = dashboard.get("/api/v1/warnings").json()["metadata"]
    assert set(urls) >= {f"/api/v1/warnings/{uuid}" for uuid in raised}
    one = next(iter(raised))
    assert dashboard.get(f"/api/v1/warnings/{one}").json()["metadata"]["uuid"] == one
    member = next(w["location"] for w in raised.values())
    narrowed = dashboard.get("/api/v1/warnings", params={"recursion": 1, "member": member, "severity": "high"})
    assert narrowed.json()["metadata"] == [w for w in narrowed.json()["metadata"] if w["severity"] == "high"]


def test_the_page_shows_each_warning_in_words(raised, dashboard):
    def agreed() -> str | None:
        """The page once it says what Incus says now (a warning seen again may come with a new
        message: a heartbeat's on a loaded machine), as a page escapes it."""
        page = dashboard.page_as("auditor", "/warnings")
        now = shown(dashboard)
        said = [str(escape(now.get(uuid, w)["last_message"])) in page for uuid, w in raised.items()]
        return page if all(said) else None

    page = wait_until(agreed, timeout=30)
    for warning in raised.values():
        assert f'id="warning-{warning["uuid"]}"' in page
    assert "LOW" in page and "NEW" in page
    assert " UTC" in page  # first and last seen, as a person reads them
    assert "Acknowledge</button>" not in page and ">Delete</button>" not in page  # an auditor changes nothing
    count = sum(w["status"] == "new" for w in shown(dashboard).values())
    assert f'id="warnings-count" sse-swap="warnings-count"><span class="nav-count" title="{count} new warning' in page
    members = dashboard.page_as("auditor", "/")
    assert "warnings?member=member1&amp;status=new" in members


def test_the_page_filters_by_member_severity_and_status(raised, dashboard):
    member = next(w["location"] for w in raised.values())
    page = dashboard.page_as("auditor", f"/warnings?member={member}&severity=high&status=new")
    hidden = [uuid for uuid, w in raised.items() if w["severity"] != "high"]
    for uuid in hidden:
        assert f'id="warning-{uuid}" class=' in page
        row = page.split(f'id="warning-{uuid}"', 1)[1].split(">", 1)[0]
        assert " hidden" in row
    assert dashboard.get("/warnings", params={"severity": "dreadful"}).status_code == 400


def test_an_operator_acknowledges_and_incus_has_it(raised, cluster, dashboard):
    warning = a_new_warning(cluster, raised)
    uuid = warning["uuid"]
    operator = Session(dashboard, "operator")
    try:
        before = sum(w["status"] == "new" for w in shown(dashboard).values())
        reply = operator.post(f"/warnings/{uuid}/acknowledge")
        assert reply.status_code == 200, reply.text
        row = reply.text.split(f'id="warning-{uuid}"', 1)[1].split("</tr>", 1)[0]
        assert "ACKNOWLEDGED" in row and "Acknowledged</p>" in row  # the table, the result in the row
        assert incus_warnings(cluster)[uuid]["status"] == "acknowledged"
        assert shown(dashboard)[uuid]["status"] == "acknowledged"
        header = operator.client.get("/operations").text
        assert f'title="{before - 1} new warning' in header or before == 1
        trail = dashboard.get("/audit.json", params={"target": uuid}).json()
        assert [r["outcome"] for r in trail if r["action"] == "acknowledge-warning"][-2:] in (
            ["requested", "succeeded"], ["succeeded", "requested"]
        )
        # Back to new through the API, as Incus's own PUT takes it.
        reply = operator.api("PUT", f"/warnings/{uuid}", json={"status": "new"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["type"] == "sync"
        assert incus_warnings(cluster)[uuid]["status"] == "new"
        wait_until(lambda: shown(dashboard)[uuid]["status"] == "new", timeout=15)
    finally:
        operator.client.close()


def test_an_acknowledgement_made_with_the_cli_reaches_open_pages_live(raised, cluster, dashboard):
    """`incus warning ack`: the lifecycle event, not the dashboard, tells the open pages."""
    uuid = a_new_warning(cluster, raised)["uuid"]
    with dashboard.stream("/stream?topic=warnings") as stream:
        stream.wait_for(lambda f: f.event == "warnings-table", timeout=10)  # the refresh, the count before it
        before = next(f.data for f in stream.seen if f.event == "warnings-count")
        cluster.incus("warning", "ack", uuid)
        try:
            # The header's count first (what every page shows), then the page's table.
            stream.wait_for(lambda f: f.event == "warnings-count" and f.data != before, timeout=15)
            table = stream.wait_for(lambda f: f.event == "warnings-table", timeout=5).data
            row = table.split(f'id="warning-{uuid}"', 1)[1].split("</tr>", 1)[0]
            assert "ACKNOWLEDGED" in row
        finally:
            cluster.incus("query", "-X", "PUT", f"/1.0/warnings/{uuid}", "-d", '{"status": "new"}')


def test_incus_refusals_come_back_in_its_words(raised, cluster, dashboard):
    uuid = next(iter(raised))
    operator = Session(dashboard, "operator")
    try:
        reply = operator.api("PATCH", f"/warnings/{uuid}", json={"status": "resolved"})
        assert (reply.status_code, reply.json()["error"]) == (403, 'Status may only be set to "acknowledge" or "new"')
        reply = operator.api("PUT", f"/warnings/{uuid}", json={"status": "bogus"})
        assert (reply.status_code, reply.json()["error"]) == (400, 'Invalid warning type "bogus"')
        unknown = "00000000-0000-4000-8000-000000000000"
        reply = operator.api("GET", f"/warnings/{unknown}")
        assert (reply.status_code, reply.json()["error"]) == (404, "Warning not found")
        reply = operator.api("DELETE", f"/warnings/{uuid}")
        assert reply.status_code == 403  # deleting is for admins
        assert uuid in incus_warnings(cluster)
    finally:
        operator.client.close()
    trail = dashboard.get("/audit.json", params={"target": uuid}).json()
    assert any(r["outcome"] == "failed" and "acknowledge" in r["error"] for r in trail), trail


def test_an_admin_deletes_one_through_the_dialog(raised, cluster, dashboard, session):
    """Last in the module: the warning stays gone until Incus starts again."""
    uuid = sorted(raised)[-1]
    dialog = session.client.get(f"/warnings/{uuid}/delete", headers={"HX-Request": "true"})
    assert dialog.status_code == 200 and "Delete the warning" in dialog.text
    reply = session.post(f"/warnings/{uuid}/delete")
    assert reply.status_code == 200, reply.text
    assert "Incus deleted the warning" in reply.text
    assert uuid not in incus_warnings(cluster)
    assert uuid not in shown(dashboard)
    again = session.post(f"/warnings/{uuid}/delete")
    assert again.status_code == 404 and "Warning not found" in again.text
