"""The edges of every reply: security headers on refusals and errors that no route made, a
Host header the dashboard was not told it answers to, and URLs it hands out built from its
own settings, never from what the request claims."""

import httpx
import pytest

from tests.conftest import csrf_token
from tests.security.test_audit_chain import sql

pytestmark = pytest.mark.cluster

HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")


def assert_secured(reply: httpx.Response) -> None:
    missing = [name for name in HEADERS if name not in reply.headers]
    assert not missing, (reply.status_code, missing)


def test_a_413_carries_the_security_headers(dashboard):
    reply = dashboard.admin.post("/settings/displays", content=b"x" * 70_000,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status_code == 413
    assert_secured(reply)


def test_a_500_before_routing_carries_the_security_headers(own_dashboard):
    server = own_dashboard()
    cookies = dict(server.admin.cookies)
    sql(server, "DROP TABLE sessions")  # who is asking, resolved before routing, now fails
    reply = httpx.get(server.url + "/", cookies=cookies, follow_redirects=False)
    assert reply.status_code == 500
    assert_secured(reply)


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:80", "localhost.attacker.example"])
def test_a_host_it_does_not_answer_to_is_refused_before_routing(dashboard, host):
    reply = httpx.get(dashboard.url + "/login", headers={"Host": host})
    assert reply.status_code == 400 and "does not answer to" in reply.text
    assert "set-cookie" not in reply.headers  # nothing below ran
    assert_secured(reply)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost:1", "[::1]:8000", "192.0.2.7:443"])
def test_addresses_and_localhost_are_answered(dashboard, host):
    assert httpx.get(dashboard.url + "/login", headers={"Host": host}).status_code == 200


def test_a_listed_host_is_answered(own_dashboard):
    server = own_dashboard(INCUS_WEBUI_ALLOWED_HOSTS='["dash.example.test", ".wall.example.test"]')
    for host in ("dash.example.test", "a.wall.example.test:8443", "wall.example.test"):
        assert httpx.get(server.url + "/login", headers={"Host": host}).status_code == 200, host
    assert httpx.get(server.url + "/login", headers={"Host": "other.example.test"}).status_code == 400


def created_display_url(server, **headers: str) -> str:
    client = server.login("admin")
    try:
        client.headers["X-CSRF-Token"] = csrf_token(client)
        page = client.post("/settings/displays", data={"name": "lobby"}, headers=headers).text
    finally:
        client.close()
    return page.split('<code class="secret">', 1)[1].split("/noc?token=", 1)[0]


def test_a_display_url_never_comes_from_the_host_header(own_dashboard):
    server = own_dashboard(INCUS_WEBUI_ALLOWED_HOSTS='["*"]')
    assert created_display_url(server, Host="attacker.example") == server.url


def test_a_display_url_comes_from_public_url(own_dashboard):
    server = own_dashboard(INCUS_WEBUI_PUBLIC_URL="https://dash.example.test/")
    assert created_display_url(server) == "https://dash.example.test"
    printed = server.cli("display", "create", "cli wall")
    assert printed.stdout.startswith("https://dash.example.test/noc?token="), printed.stderr

