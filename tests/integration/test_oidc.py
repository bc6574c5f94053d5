"""Signing in through a real OpenID provider (oidc-provider on loopback, tests/oidc_provider.py):
the groups give the role, at sign-in and while signed in; refusals say why and are recorded;
an admin sees and blocks OIDC accounts; logout ends the provider's session too; oidc_only
leaves the password form to break-glass accounts. No Incus cluster is needed."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import csrf_token, wait_until
from tests.oidc_provider import sign_in
from tests.security.conftest import audit_rows
from tests.sse import Stream


@contextmanager
def browser(dashboard) -> Iterator[httpx.Client]:
    """A browser with no session yet, at the login page (its CSRF cookie set)."""
    with httpx.Client(base_url=dashboard.url, timeout=30) as client:
        client.get("/login")
        yield client


def test_the_login_page_offers_the_provider_beside_the_password_form(oidc):
    page = httpx.get(oidc.dashboard().url + "/login").text
    assert "Sign in with Test ID" in page
    assert 'name="password"' in page


def test_groups_give_the_role_at_sign_in_and_it_is_recorded(oidc):
    dashboard = oidc.dashboard()
    with browser(dashboard) as ann, browser(dashboard) as olga:
        landed = sign_in(ann, "ann", "/settings")
        assert landed.url.path == "/settings" and landed.status_code == 200  # admin: incus-admins
        sign_in(olga, "olga")
        # operator: staging-ops maps to operator on this cluster ("default"), admin on another one
        assert olga.get("/settings").status_code == 403
        assert olga.get("/").status_code == 200
    record = audit_rows(dashboard, action="oidc-login", target="olga")[-1]
    assert record.outcome == "succeeded" and record.role == "operator" and record.via == "oidc"
    assert record.parameters == {
        "issuer": oidc.provider.issuer, "subject": "olga", "groups": ["staging-ops", "everyone"]
    }


def test_someone_in_no_mapped_group_is_refused_and_told_why(oidc):
    dashboard = oidc.dashboard()
    with browser(dashboard) as nick:
        refused = sign_in(nick, "nick")
        assert refused.status_code == 403
        assert "Sign-in refused: no mapped group." in refused.text
        assert nick.get("/", follow_redirects=False).status_code == 303  # still signed out
    record = audit_rows(dashboard, action="oidc-login", outcome="denied")[-1]
    assert record.error == "no mapped group"
    assert record.parameters["subject"] == "nick" and record.parameters["issuer"] == oidc.provider.issuer


def test_settings_list_oidc_accounts_and_an_admin_blocks_one(oidc):
    dashboard = oidc.dashboard()
    with browser(dashboard) as olga:
        sign_in(olga, "olga")
        page = dashboard.get("/settings").text
        assert "Signed in through OpenID Connect" in page
        assert oidc.provider.issuer in page and "staging-ops, everyone" in page
        olga_row = next(r for r in page.split("<tr") if 'id="oidc-account-' in r and "<td>olga</td>" in r)
        account = olga_row.split('id="oidc-account-')[1].split('"')[0]
        blocked = dashboard.admin.post(f"/settings/oidc/{account}/block", headers={"Sec-Fetch-Site": "same-origin"})
        assert "olga blocked" in blocked.text
        assert olga.get("/", follow_redirects=False).status_code == 303  # signed out at once
        again = sign_in(olga, "olga")
        assert again.status_code == 403 and "blocked by an admin" in again.text
    assert audit_rows(dashboard, action="block-oidc-user", target="olga")[-1].outcome == "succeeded"


def test_a_role_follows_the_groups_while_signed_in_and_ends_with_them(oidc):
    """oidc_refresh = 3 s here: the refresh token brings the groups as the provider has them now."""
    dashboard = oidc.dashboard("fast-refresh")
    oidc.provider.set_groups("pat", ["staging-ops"])
    try:
        with browser(dashboard) as pat:
            sign_in(pat, "pat")
            assert pat.get("/settings").status_code == 403  # operator
            oidc.provider.set_groups("pat", ["incus-admins"])
            wait_until(lambda: pat.get("/settings").status_code == 200, timeout=15)
            stream = Stream(dashboard.url + "/stream?topic=members&v=0", cookies=dict(pat.cookies))
            try:
                oidc.provider.set_groups("pat", ["everyone"])
                started = time.monotonic()
                for _ in stream.frames:  # the stream ends with the session
                    assert time.monotonic() - started < 20, "the stream is still open"
            finally:
                stream.close()
            assert pat.get("/", follow_redirects=False).status_code == 303
    finally:
        oidc.provider.set_groups("pat", [])
    changes = audit_rows(dashboard, action="oidc-role", target="pat")
    assert [(c.parameters["previous_role"], c.parameters["new_role"]) for c in changes] == [
        ("operator", "admin"), ("admin", "")
    ]
    assert changes[-1].outcome == "denied" and changes[-1].error == "no mapped group: sessions ended"


def test_logout_ends_the_providers_session_too(oidc):
    dashboard = oidc.dashboard()
    with browser(dashboard) as ann:
        sign_in(ann, "ann")
        headers = {"X-CSRF-Token": csrf_token(ann), "Sec-Fetch-Site": "same-origin"}
        out = ann.post("/logout", headers=headers)
        assert out.status_code == 303
        end_session = httpx.URL(out.headers["location"])
        assert str(end_session).startswith(oidc.provider.issuer + "/session/end")
        assert end_session.params["post_logout_redirect_uri"] == dashboard.url + "/login"
        assert end_session.params["id_token_hint"]
        assert ann.get("/", follow_redirects=False).status_code == 303


def test_oidc_only_leaves_the_password_form_to_break_glass_accounts(oidc):
    dashboard = oidc.dashboard("oidc-only")
    page = httpx.get(dashboard.url + "/login").text
    assert "Sign in with Test ID" in page and 'name="password"' not in page
    assert "Break-glass account" in page
    assert dashboard.cli("user", "add", "glass", "--role", "admin", "--break-glass", "--password-stdin",
                         input="a long break-glass password").returncode == 0
    assert dashboard.cli("user", "add", "plain", "--role", "admin", "--password-stdin",
                         input="a long ordinary password").returncode == 0
    with browser(dashboard) as client:
        form = client.get("/login", params={"local": 1}).text
        assert 'name="password"' in form
        token = csrf_token(client)
        plain = {"name": "plain", "password": "a long ordinary password", "csrf_token": token}
        plain = client.post("/login", data=plain)
        assert plain.status_code == 403 and "break-glass accounts" in plain.text
        glass = {"name": "glass", "password": "a long break-glass password", "csrf_token": token}
        assert client.post("/login", data=glass).status_code == 303


def test_a_provider_naming_a_local_account_gets_an_account_of_its_own(oidc):
    """The provider's "alice" is not the local admin alice: never signed in as her."""
    dashboard = oidc.dashboard()
    oidc.provider.set_groups("alice", ["staging-ops"])
    try:
        with browser(dashboard) as client:
            landed = sign_in(client, "alice")
            assert "alice (alice) (operator)" in landed.text
            assert client.get("/settings").status_code == 403
    finally:
        oidc.provider.set_groups("alice", [])
    refused = dashboard.cli("user", "passwd", "alice (alice)", "--password-stdin", input="a new long password")
    assert refused.returncode != 0 and "signs in through OpenID Connect: it has no password" in refused.stderr


def test_a_role_changed_since_the_last_sign_in_is_recorded(oidc):
    dashboard = oidc.dashboard()
    oidc.provider.set_groups("quinn", ["staging-ops"])
    try:
        with browser(dashboard) as first:
            sign_in(first, "quinn")
        oidc.provider.set_groups("quinn", ["incus-admins"])
        with browser(dashboard) as second:
            assert "quinn (admin)" in sign_in(second, "quinn").text
    finally:
        oidc.provider.set_groups("quinn", [])
    change = audit_rows(dashboard, action="oidc-role", target="quinn")[-1]
    assert (change.parameters["previous_role"], change.parameters["new_role"]) == ("operator", "admin")
    assert change.parameters["subject"] == "quinn" and change.parameters["issuer"] == oidc.provider.issuer


def test_bad_callbacks_get_a_sentence_not_a_stack_trace(oidc):
    dashboard = oidc.dashboard()
    with browser(dashboard) as client:
        bare = client.get("/auth/oidc/callback")
        assert bare.status_code == 403 and "not started in this browser" in bare.text
        hostile = client.get("/auth/oidc/callback", params={"error": "access_denied",
                                                            "error_description": "<script>alert(1)</script>"})
        assert hostile.status_code == 403 and "the provider answered access_denied" in hostile.text
        assert "<script>alert(1)" not in hostile.text
        maybe = client.get("/login", params={"local": "maybe"})
        assert maybe.status_code == 400 and "local" in maybe.text


def test_signing_in_never_leaves_the_site(oidc):
    dashboard = oidc.dashboard()
    with browser(dashboard) as ann:
        landed = sign_in(ann, "ann", "//evil.example/steal")
        assert landed.url == httpx.URL(dashboard.url + "/")
