"""Forged client addresses: X-Forwarded-For believed only from a configured proxy, and the
socket's peer, never a header, deciding whether single sign-on headers count."""

import httpx
import pytest

from tests.security.conftest import audit_rows

pytestmark = pytest.mark.cluster


def failed_login(url: str, name: str, **headers: str) -> None:
    with httpx.Client(base_url=url) as client:
        client.get("/login")
        data = {"name": name, "password": "wrong", "csrf_token": client.cookies["incus_webui_csrf"]}
        assert client.post("/login", data=data, headers=headers).status_code == 401


def test_a_forwarded_address_from_an_unconfigured_peer_is_not_recorded_as_the_client(dashboard):
    failed_login(dashboard.url, "forged-address", **{"X-Forwarded-For": "6.6.6.6"})
    record = audit_rows(dashboard, action="login", target="forged-address")[-1]
    assert (record.source_address, record.forwarded_for) == ("127.0.0.1", "")


def test_behind_a_configured_proxy_the_peer_and_the_forwarded_client_are_both_kept(own_dashboard):
    server = own_dashboard(INCUS_WEBUI_FORWARDED_ALLOW_IPS='["127.0.0.1"]')
    # What the client wrote (6.6.6.6) is left of what the proxy saw (7.7.7.7): only the latter counts.
    failed_login(server.url, "behind-proxy", **{"X-Forwarded-For": "6.6.6.6, 7.7.7.7"})
    record = audit_rows(server, action="login", target="behind-proxy")[-1]
    assert (record.source_address, record.forwarded_for) == ("127.0.0.1", "7.7.7.7")
    # The forwarded address is the one throttled, not the proxy's (every user's).
    assert (record.source_address, record.forwarded_for) != ("7.7.7.7", "")


def test_sso_headers_count_only_when_the_socket_peer_is_the_proxy(own_dashboard):
    server = own_dashboard(
        "sso",
        INCUS_WEBUI_SSO_USER_HEADER="X-Remote-User",
        INCUS_WEBUI_SSO_ROLES='{"ops": "admin"}',
        INCUS_WEBUI_SSO_TRUSTED_PROXIES='["10.9.9.9/32"]',
        INCUS_WEBUI_FORWARDED_ALLOW_IPS='["127.0.0.1"]',  # even when forwarding from here is believed
    )
    posing = {"X-Forwarded-For": "10.9.9.9", "X-Remote-User": "mallory", "X-Remote-Groups": "ops"}
    reply = httpx.get(server.url + "/", headers=posing, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"].startswith("/login")
    assert "mallory" not in httpx.get(server.url + "/audit.json", headers=posing).text
