"""Credentials in the configuration and in Incus's operations stay with admins: an auditor (or
operator) finds no secret value in any page, API reply, audit export or stream, and the
dashboard's log holds none."""

import threading

import pytest

from tests.conftest import edit_member, incus_member, wait_until
from tests.routes import REQUESTS
from tests.sse import Stream

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]

LOKI_PASSWORD = "loki-pw-5e3c2f"
OPENFGA_TOKEN = "openfga-tok-9a71d0"
MEMBER_TOKEN = "member-tok-44b8e1"
DNS_TOKEN = "cf-dns-tok-0d5a77"  # a DNS provider's credentials, as Incus documents the key
MEMBER_APIKEY = "member-apikey-6f2e90"
MEMBER_PASSWD = "member-passwd-1c8b3d"
EXEC_PASSWORD = "exec-db-pw-7e41aa"  # `incus exec --env DB_PASSWORD=...`
SECRETS = (LOKI_PASSWORD, OPENFGA_TOKEN, MEMBER_TOKEN, DNS_TOKEN, MEMBER_APIKEY, MEMBER_PASSWD, EXEC_PASSWORD)
EXPORTS = ("/audit.csv", "/audit.json", "/audit.jsonl")


@pytest.fixture
def secrets_set(cluster, session):
    """Secrets set through the dashboard (so its audit log had the chance to see them)."""
    before = incus_member(cluster, "member2")
    config = {"loki.auth.password": LOKI_PASSWORD, "openfga.api.token": OPENFGA_TOKEN,
              "acme.provider.environment": f"CLOUDFLARE_DNS_API_TOKEN={DNS_TOKEN}"}
    reply = session.api("PATCH", "", json={"config": config})
    assert reply.status_code == 200, reply.text
    member_config = {"user.api_token": MEMBER_TOKEN, "user.apikey": MEMBER_APIKEY, "user.passwd": MEMBER_PASSWD}
    reply = session.api("PATCH", "/cluster/members/member2", json={"config": member_config})
    assert reply.status_code == 200, reply.text
    try:
        # The admin reads them (so the checks below can fail), once the dashboard has them.
        wait_until(lambda: DNS_TOKEN in session.client.get("/api/v1").text, timeout=20)
        wait_until(lambda: MEMBER_PASSWD in session.client.get("/api/v1/cluster/members?recursion=1").text, timeout=20)
        yield
    finally:
        for key in config:
            cluster.incus("config", "unset", key)
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
                  "/cluster/config?q=loki", "/cluster/config?q=openfga", "/cluster/config?q=acme",
                  "/members/member2/edit", *EXPORTS]
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
    for path in EXPORTS:
        export = dashboard.get(path).text
        assert "loki.auth.password" in export and "acme.provider.environment" in export, path
        assert "user.apikey" in export and "user.passwd" in export and "(changed)" in export, path
        assert not leaks(export), (path, leaks(export))


def running_instance(cluster) -> str:
    return next(i["name"] for i in cluster.instances() if i["status"] == "Running")


@pytest.fixture
def exec_running(cluster, dashboard):
    """`incus exec NAME --env DB_PASSWORD=... -- sleep 8` running, and the dashboard seeing it."""
    command = ("exec", running_instance(cluster), "--env", f"DB_PASSWORD={EXEC_PASSWORD}", "--", "sleep", "8")
    execution = threading.Thread(target=cluster.incus, args=command)
    execution.start()
    try:
        wait_until(lambda: "DB_PASSWORD" in dashboard.get("/api/v1/operations").text, timeout=8, interval=0.2)
        yield
    finally:
        execution.join()


def test_an_admin_sees_an_exec_environment_masked(dashboard, exec_running):
    operations = dashboard.get("/api/v1/operations").json()["metadata"]
    execs = [o for ops in operations.values() for o in ops if "environment" in (o["metadata"] or {})]
    assert execs and execs[0]["metadata"]["environment"]["DB_PASSWORD"] == "(hidden)"
    assert execs[0]["metadata"]["command"] == ["sleep", "8"]
    assert EXEC_PASSWORD not in dashboard.get("/api/v1/operations").text


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_an_exec_shows_a_non_admin_no_environment_command_or_fds(dashboard, exec_running, role):
    client = dashboard.login(role)
    try:
        reply = client.get("/api/v1/operations")
        operations = [o for ops in reply.json()["metadata"].values() for o in ops]
        assert operations and "Executing command" in reply.text
        for operation in operations:
            assert not {"environment", "command", "fds", "secret"} & set(operation["metadata"] or {}), operation
            single = client.get(f"/api/v1/operations/{operation['id']}")
            if single.status_code == 200:
                assert not {"environment", "command", "fds"} & set(single.json()["metadata"]["metadata"] or {})
        for path in ("/operations", "/api/v1/operations", "/members/member1"):
            assert not leaks(client.get(path).text), path
    finally:
        client.close()


def test_no_secret_reaches_the_dashboards_log(dashboard, secrets_set, exec_running):
    dashboard.log.flush()
    assert not leaks(dashboard.log_file.read_text())


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


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_no_stream_frame_carries_an_exec_environment(cluster, dashboard, role):
    client = dashboard.login(role)
    cookies = dict(client.cookies)
    client.close()
    command = ("exec", running_instance(cluster), "--env", f"DB_PASSWORD={EXEC_PASSWORD}", "--", "sleep", "4")
    with Stream(f"{dashboard.url}/stream?topic=operations&topic=members", cookies=cookies) as stream:
        execution = threading.Thread(target=cluster.incus, args=command)
        execution.start()
        try:
            stream.wait_for(lambda f: "Executing command" in f.data, timeout=30)
        finally:
            execution.join()
        assert not [f.event for f in stream.seen if leaks(f.data) or "DB_PASSWORD" in f.data]
