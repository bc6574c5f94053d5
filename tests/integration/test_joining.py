"""Join tokens, member rename and the member ETag, against the real cluster."""

import base64
import csv
import io
import json

import pytest

from tests.conftest import edit_member, incus_member, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def incus_tokens(cluster) -> dict[str, str]:
    """`incus cluster list-tokens`: name to token."""
    rows = csv.reader(io.StringIO(cluster.incus("cluster", "list-tokens", "--format", "csv", "-c", "nt").stdout))
    return {row[0]: row[1] for row in rows if row}


@pytest.fixture
def no_tokens_left(cluster):
    yield
    for name in incus_tokens(cluster):
        cluster.incus("cluster", "revoke-token", name)


def audit_text(dashboard) -> str:
    return dashboard.get("/audit.csv").text


def test_a_join_token_is_shown_once_listed_by_incus_and_revoked(cluster, dashboard, session, no_tokens_left):
    reply = session.post("/cluster/joining/tokens", data={"name": "newbie"})
    assert reply.status_code == 200, reply.text
    token = reply.text.split('id="join-token-value"')[1].split(">", 1)[1].split("</textarea>")[0]
    assert incus_tokens(cluster) == {"newbie": token}  # the very token `incus cluster list-tokens` prints
    decoded = json.loads(base64.b64decode(token))
    assert decoded["server_name"] == "newbie" and decoded["secret"]
    assert 'data-copy="#join-token-value"' in reply.text and "Expires" in reply.text
    assert "valid for" in reply.text and "3H" in reply.text  # cluster.join_token_expiry's default
    # Never again: not on the page, not in the audit log, not in the operations API for an auditor.
    page = wait_until(lambda: (t := session.client.get("/cluster/joining").text) and "newbie" in t and t)
    assert decoded["secret"] not in page and token not in page
    assert "Join token for newbie" in session.client.get("/operations").text
    assert decoded["secret"] not in audit_text(dashboard) and "create-join-token" in audit_text(dashboard)
    auditor = dashboard.login("auditor")
    try:
        operations = auditor.get("/api/v1/operations").text
        assert "newbie" in operations and decoded["secret"] not in operations
    finally:
        auditor.close()
    operation_id = page.split('id="token-')[1].split('"')[0]
    reply = session.post(f"/cluster/joining/tokens/{operation_id}/revoke", data={})
    assert reply.status_code == 200, reply.text
    assert incus_tokens(cluster) == {}
    assert "No pending join tokens" in reply.text


def test_the_api_answers_the_token_operation_as_incus_does(cluster, dashboard, session, no_tokens_left):
    reply = session.api("POST", "/cluster/members", json={"server_name": "apinewbie"})
    assert reply.status_code == 202, reply.text
    body = reply.json()
    assert body["type"] == "async" and reply.headers["Location"] == body["operation"]
    operation = body["metadata"]
    assert operation["class"] == "token" and operation["metadata"]["serverName"] == "apinewbie"
    assert operation["metadata"]["secret"] in base64.b64decode(incus_tokens(cluster)["apinewbie"]).decode()
    # Pending tokens as Incus 6.0.4 lists them: running operations of class token.
    running = session.api("GET", "/operations").json()["metadata"]["running"]
    assert [op["metadata"]["serverName"] for op in running if op["class"] == "token"] == ["apinewbie"]
    operator = dashboard.login("operator")
    try:
        assert operator.delete(f"/api/v1/operations/{operation['id']}").status_code == 403
    finally:
        operator.close()
    assert "apinewbie" in incus_tokens(cluster)
    assert session.api("DELETE", f"/operations/{operation['id']}").status_code == 200
    assert incus_tokens(cluster) == {}


def test_the_member_get_carries_incus_etag_for_a_guarded_put(cluster, session, restore_description):
    name = restore_description
    reply = session.api("GET", f"/cluster/members/{name}")
    etag = reply.headers["ETag"]
    member = reply.json()["metadata"]
    body = {k: member[k] for k in ("roles", "failure_domain", "description", "config", "groups")}
    roles = [r for r in body["roles"] if r in ("database", "event-hub", "ovn-chassis")]
    put = session.api("PUT", f"/cluster/members/{name}", json={**body, "roles": roles, "description": "etag ok"},
                      headers={"If-Match": etag})
    assert put.status_code == 200, put.text
    assert incus_member(cluster, name)["description"] == "etag ok"
    stale = session.api("PUT", f"/cluster/members/{name}", json={**body, "roles": roles, "description": "stale"},
                        headers={"If-Match": etag})
    assert stale.status_code == 412
    assert incus_member(cluster, name)["description"] == "etag ok"


def test_a_renamed_member_is_known_at_once_under_its_new_name(cluster, session):
    before = incus_member(cluster, "member3")["description"]
    try:
        reply = session.api("POST", "/cluster/members/member3", json={"server_name": "member3x"})
        assert reply.status_code == 200, reply.text
        # Asked before the dashboard's next resync: the snapshot has not seen member3x yet,
        # so the dashboard asks Incus instead of answering 404.
        reply = session.api("PATCH", "/cluster/members/member3x", json={"description": "renamed"})
        assert reply.status_code == 200, reply.text
        assert incus_member(cluster, "member3x")["description"] == "renamed"
    finally:
        names = [m["server_name"] for m in cluster.cluster_members()]
        if "member3x" in names:
            cluster.incus("cluster", "rename", "member3x", "member3")
        edit_member(cluster, "member3", description=before)
    assert [m["server_name"] for m in cluster.cluster_members()] == ["member1", "member2", "member3"]


def test_rename_on_the_page_is_admin_only(dashboard):
    for role in ("admin", "operator", "auditor"):
        client = dashboard.login(role)
        try:
            reply = client.get("/cluster/joining")
        finally:
            client.close()
        # The page itself, not an error page: its heading and the pending tokens everyone sees.
        assert reply.status_code == 200, (role, reply.status_code)
        assert "<h1>Joining and renaming members</h1>" in reply.text and '<table class="join-tokens">' in reply.text
        controls = ["member-rename" in reply.text, "Create join token" in reply.text]
        assert controls == ([True, True] if role == "admin" else [False, False]), role
