"""Credentials in the configuration stay with admins: an auditor (or operator) finds no
secret value in any page, API reply, audit export or stream."""

import pytest

from tests.conftest import edit_member, incus_member, wait_until
from tests.integration.test_auth import REQUESTS
from tests.sse import Stream

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]

LOKI_PASSWORD = "loki-pw-5e3c2f"
OPENFGA_TOKEN = "openfga-tok-9a71d0"
MEMBER_TOKEN = "member-tok-44b8e1"
SECRETS = (LOKI_PASSWORD, OPENFGA_TOKEN, MEMBER_TOKEN)


@pytest.fixture
def secrets_set(cluster, session):
    """Secrets set through the dashboard (so its audit log had the chance to see them)."""
    before = incus_member(cluster, "member2")
    config = {"loki.auth.password": LOKI_PASSWORD, "openfga.api.token": OPENFGA_TOKEN}
    reply = session.api("PATCH", "", json={"config": config})
    assert reply.status_code == 200, reply.text
    reply = session.api("PATCH", "/cluster/members/member2", json={"config": {"user.api_token": MEMBER_TOKEN}})
    assert reply.status_code == 200, reply.text
    try:
        # The admin reads them (so the checks below can fail), once the dashboard has them.
        wait_until(lambda: LOKI_PASSWORD in session.client.get("/api/v1").text, timeout=20)
        wait_until(lambda: MEMBER_TOKEN in session.client.get("/api/v1/cluster/members?recursion=1").text, timeout=20)
        yield
    finally:
        cluster.incus("config", "unset", "loki.auth.password")
        cluster.incus("config", "unset", "openfga.api.token")
        edit_member(cluster, "member2", config=before["config"], description=before["description"])


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_no_secret_reaches_a_non_admin(cluster, dashboard, secrets_set, role):
    client = dashboard.login(role)
    try:
        reads = [path for method, path, _ in REQUESTS.values() if method == "GET"]
        reads += [f"/api/v1?target={name}" for name in cluster.members]
        reads += ["/api/v1/cluster/members?recursion=1", "/api/v1/cluster/members/member2", "/members/member2",
                  "/cluster/config?q=loki", "/cluster/config?q=openfga", "/members/member2/edit"]
        checked = 0
        for path in reads:
            reply = client.get(path)
            if reply.status_code == 200:
                checked += 1
                assert not leaks(reply.text), (path, leaks(reply.text))
        assert checked >= 20  # pages, API replies and (for the auditor) the audit export really read
        assert "set, hidden" in client.get("/cluster/config?q=loki").text
        assert "(hidden)" in client.get("/api/v1").text
        cookies = dict(client.cookies)
    finally:
        client.close()
    topics = "topic=members&topic=cluster&topic=operations&topic=audit&topic=member:member2"
    with Stream(f"{dashboard.url}/stream?{topics}", cookies=cookies) as stream:
        edit_member(cluster, "member2", description="streamed")  # a change, so frames flow
        try:
            stream.wait_for(lambda f: f.event == "member-member2-detail" and "streamed" in f.data, timeout=30)
        finally:
            edit_member(cluster, "member2", description="")
        assert stream.seen and not [f.event for f in stream.seen if leaks(f.data)]


def test_the_audit_log_records_that_a_secret_changed_not_to_what(dashboard, secrets_set):
    export = dashboard.get("/audit.csv").text
    assert "loki.auth.password" in export and "user.api_token" in export
    assert not leaks(export)


def test_an_operator_saving_a_member_keeps_the_secret_it_could_not_see(cluster, dashboard, secrets_set):
    from tests.integration.conftest import Session
    from tests.integration.test_member_dialogs import open_edit_form

    operator = Session(dashboard, "operator")
    try:
        etag, original = open_edit_form(operator, "member2")
        assert MEMBER_TOKEN not in original
        data = {"section": "member", "etag": etag, "original": original, "description": "edited by bob",
                "failure_domain": "default", "groups": "default", "user_config": "user.api_token=(hidden)"}
        reply = operator.post("/members/member2/edit", data=data)
        assert reply.status_code == 200, reply.text
    finally:
        operator.client.close()
    member = incus_member(cluster, "member2")
    assert member["description"] == "edited by bob" and member["config"]["user.api_token"] == MEMBER_TOKEN
