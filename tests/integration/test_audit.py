"""The audit log: what is recorded, its hash chain, the page, its exports and live arrival."""

import json

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import PERSONAS, wait_until
from webui import db
from webui.audit.verify import verify
from webui.settings import Settings

pytestmark = pytest.mark.cluster


def records(dashboard, **filters) -> list[dict]:
    return json.loads(dashboard.get("/audit.json", params=filters).text)



def test_an_evacuation_is_recorded_from_request_to_real_outcome(cluster, dashboard):
    client = dashboard.login("operator")
    try:
        reply = client.post("/api/v1/cluster/members/member2/state", json={"action": "evacuate", "mode": "stop"},
                            headers={"User-Agent": "audit-test"})
        assert reply.status_code == 202, reply.text
        operation_id = reply.json()["metadata"]["id"]
        trail = wait_until(lambda: (r := records(dashboard, target="member2", action="evacuate"))
                         and any(x["outcome"] == "succeeded" and x["operation_id"] == operation_id for x in r) and r)
    finally:
        restore = client.post("/api/v1/cluster/members/member2/state", json={"action": "restore"})
        client.close()
    mine = [r for r in reversed(trail) if r["operation_id"] in ("", operation_id)][-3:]
    assert [r["outcome"] for r in mine] == ["requested", "accepted", "succeeded"]
    requested = mine[0]
    assert requested["actor"] == PERSONAS["operator"] and requested["role"] == "operator"
    assert requested["user_agent"] == "audit-test" and requested["source_address"] == "127.0.0.1"
    assert requested["parameters"] == {"mode": "stop"}
    assert mine[2]["request_id"] == requested["id"]
    assert restore.status_code == 202
    wait_until(lambda: cluster.member_status("member2") == "Online")


def test_a_refused_change_is_recorded_with_incus_error(cluster, dashboard):
    client = dashboard.login("operator")
    reply = client.patch("/api/v1/cluster/members/member2", json={"groups": ["no-such-group"]})
    client.close()
    assert reply.status_code == 404
    failed = records(dashboard, target="member2", action="edit", outcome="failed", actor=PERSONAS["operator"])[0]
    assert "Cluster_group not found" in failed["error"]


def test_logins_are_recorded_success_and_failure(dashboard):
    name = PERSONAS["auditor"]
    succeeded = len(records(dashboard, action="login", outcome="succeeded", actor=name))
    failed = len(records(dashboard, action="login", outcome="failed", target=name))  # nobody is logged in
    dashboard.login("auditor").close()
    with httpx.Client(base_url=dashboard.url) as browser:
        browser.get("/login")
        token = browser.cookies["incus_webui_csrf"]
        refused = browser.post("/login", data={"name": name, "password": "wrong", "csrf_token": token})
    assert refused.status_code == 401
    assert len(records(dashboard, action="login", outcome="succeeded", actor=name)) == succeeded + 1
    assert len(records(dashboard, action="login", outcome="failed", target=name)) == failed + 1


def test_the_chain_verifies_and_names_the_first_altered_or_removed_record(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    log = Settings(database_url=url).audit_log(engine)

    def problem() -> str:
        return verify(engine, log.key, log.checkpoints).problem

    for n in range(5):
        log.append(action="test", target=f"t{n}", outcome="succeeded", parameters={"n": n})
    assert verify(engine, log.key, log.checkpoints).records == 5 and problem() == ""
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET target = 'forged' WHERE id = 3"))
    assert problem() == "record 3 was altered"
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET target = 't2' WHERE id = 3"))
        connection.execute(text("DELETE FROM audit_log WHERE id = 2"))
    assert problem() == "record 3 does not follow record 1: a record was removed or altered"
    engine.dispose()


def test_the_cli_verifies_the_dashboards_log(dashboard):
    result = dashboard.cli("audit", "verify")
    assert result.returncode == 0 and "chain intact" in result.stdout, result.stderr


def test_the_page_filters_paginates_and_exports(dashboard):
    logins = records(dashboard, action="login")
    page = dashboard.get("/audit", params={"action": "login"}).text
    assert f"{len(logins)} records" in page
    # The stream updates the unfiltered first page only: a filtered one says so.
    assert 'sse-swap="audit"' not in page and "live only on the first page of the" in page
    assert 'sse-swap="audit"' in dashboard.get("/audit").text
    csv = dashboard.get("/audit.csv", params={"action": "login"}).text
    assert csv.splitlines()[0].startswith("id,at,actor,role,via,source_address")
    assert all(r["action"] == "login" for r in records(dashboard, action="login"))


def test_new_records_arrive_live_on_the_audit_page(dashboard):
    with dashboard.stream("/stream?topic=audit") as stream:
        dashboard.login("operator").close()
        frame = stream.wait_for(lambda f: f.event == "audit" and PERSONAS["operator"] in f.data, timeout=10)
    assert "login" in frame.data
