"""Accounts, sessions, tokens and roles: every route, for every role."""

import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import PASSWORD, PERSONAS, Dashboard, csrf_token
from tests.routes import REQUESTS, STREAMS
from webui.app import create_app
from webui.auth.roles import ROUTE_PERMISSIONS, can
from webui.settings import Settings

pytestmark = pytest.mark.cluster

def test_every_route_has_a_permission(cluster, tmp_path):
    from tests.routes import FoundRoute, walk_routes
    from webui import db

    url = f"sqlite:///{tmp_path / 'w.db'}"
    db.upgrade(url)
    settings = Settings(database_url=url, addresses=[cluster.url("member1")], server_cert=cluster.cluster_cert)
    app = create_app(settings)
    # The static files are public by nature: a mount, where no dependency runs.
    public_by_nature = {FoundRoute("static", "/static", "mount")}
    routes = [route for route in walk_routes(app) if route not in public_by_nature]
    names = {route.name for route in routes}
    # 73 on 2026-12-07 (the warnings). Fewer (or none) means the walk misses some, not that the app lost them.
    assert len(names) >= 73, f"walk_routes found only {sorted(names)}"
    missing = names - set(ROUTE_PERMISSIONS)
    assert not missing, f"routes without a permission (refused to everyone): {missing}"
    # Only an APIRoute runs the app's dependencies: a plain Starlette route (such as FastAPI's own
    # /openapi.json) or a mount would serve everyone whatever its entry in ROUTE_PERMISSIONS says.
    unchecked = [route for route in routes if route.kind != "api"]
    assert not unchecked, f"routes where authorize never runs: {unchecked}"
    untested = {n for n in names if ROUTE_PERMISSIONS[n] != "public"} - set(REQUESTS) - STREAMS
    assert not untested, f"add these routes to REQUESTS: {untested}"


@pytest.mark.parametrize("role", ["admin", "operator", "auditor"])
def test_every_route_for_every_role(dashboard, role):
    client = dashboard.login(role)
    try:
        for route, (method, path, kwargs) in REQUESTS.items():
            reply = client.request(method, path, headers={"HX-Request": "true"}, **(kwargs or {}))
            allowed = can(role, ROUTE_PERMISSIONS[route])
            if allowed:
                assert reply.status_code not in (401, 403, 500), (route, reply.status_code, reply.text[:200])
            else:
                assert reply.status_code == 403, (route, reply.status_code)
    finally:
        client.close()


def test_without_a_session_pages_lead_to_login_and_the_api_answers_401(dashboard):
    for route, (method, path, kwargs) in REQUESTS.items():
        headers = {"X-CSRF-Token": "t"}
        reply = httpx.request(method, dashboard.url + path, headers=headers, cookies={"incus_webui_csrf": "t"},
                              follow_redirects=False, **(kwargs or {}))
        if path.startswith("/api/"):
            assert reply.status_code == 401, route
        elif route == "noc":  # a wall display has no one to log in: it is told its token is bad
            assert reply.status_code == 403 and "display" in reply.text, route
        else:
            assert reply.status_code == 303 and reply.headers["location"].startswith("/login?next="), route


def test_an_htmx_request_without_a_session_sends_the_whole_page_to_login(dashboard):
    reply = httpx.get(dashboard.url + "/members/member1/evacuate", headers={"HX-Request": "true"})
    assert reply.status_code == 401
    assert reply.headers["HX-Redirect"] == "/login?next=/members/member1/evacuate"


def test_a_forged_request_is_refused_and_recorded(dashboard):
    auditor = dashboard.login("auditor")
    try:
        assert auditor.post("/members/member2/evacuate", data={"mode": "stop"}).status_code == 403
    finally:
        auditor.close()
    denied = dashboard.get("/audit", params={"outcome": "denied", "actor": PERSONAS["auditor"]}).text
    assert "/members/member2/evacuate" in denied


def test_buttons_a_role_may_not_use_are_not_shown(dashboard):
    pages = {}
    for role in ("admin", "operator", "auditor"):
        client = dashboard.login(role)
        pages[role] = client.get("/members/member2").text
        client.close()
    assert "Force-remove…" in pages["admin"] and "Evacuate…" in pages["admin"]
    assert "Evacuate…" in pages["operator"] and "Remove…" not in pages["operator"]
    assert "Evacuate…" not in pages["auditor"]
    assert "Audit log" in pages["auditor"] and "Audit log" not in pages["operator"]


def test_login_rotates_the_session_and_logout_ends_it(dashboard):
    client = dashboard.login("operator")
    first = client.cookies["incus_webui_session"]
    client.post("/login", data={"name": PERSONAS["operator"], "password": PASSWORD, "csrf_token": csrf_token(client)})
    second = client.cookies["incus_webui_session"]
    assert first != second
    stale = httpx.get(dashboard.url + "/", cookies={"incus_webui_session": first}, follow_redirects=False)
    assert stale.status_code == 303  # the old session no longer works
    assert client.post("/logout").status_code == 403  # nor its CSRF token: rotated with the session
    client.headers["X-CSRF-Token"] = csrf_token(client)
    assert client.post("/logout").status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303
    client.close()


def test_cookies_are_httponly_and_samesite(dashboard):
    client = httpx.Client(base_url=dashboard.url)
    client.get("/login")
    reply = client.post("/login", data={"name": PERSONAS["admin"], "password": PASSWORD,
                                        "csrf_token": client.cookies["incus_webui_csrf"]})
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    client.close()


def test_repeated_failed_logins_are_throttled_without_locking_out_others(dashboard):
    client = httpx.Client(base_url=dashboard.url)
    client.get("/login")
    token = client.cookies["incus_webui_csrf"]
    name = "mallory"
    codes = [client.post("/login", data={"name": name, "password": "nope", "csrf_token": token}).status_code
             for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    client.close()
    dashboard.login("auditor").close()  # same address, another account: still fine


def test_security_headers_allow_only_own_scripts(dashboard):
    reply = dashboard.get("/")
    policy = reply.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"<script(?![^>]*\bsrc=)", reply.text)  # no inline script anywhere
    assert dashboard.get("/docs").status_code == 200


def test_api_tokens_act_with_their_users_role(dashboard):
    created = dashboard.cli("token", "create", PERSONAS["operator"])
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    api = dashboard.url + "/api/v1"
    assert httpx.get(api + "/cluster/members", headers=headers).status_code == 200
    # No CSRF token needed with a bearer token; the operator may not remove members.
    assert httpx.delete(api + "/cluster/members/nosuch", headers=headers).status_code == 403
    assert httpx.get(api + "/cluster/members", headers={"Authorization": "Bearer iwt_wrong"}).status_code == 401
    assert httpx.get(dashboard.url + "/", headers=headers, follow_redirects=False).status_code == 303
    uses = dashboard.get("/audit.json", params={"action": "token-use", "actor": PERSONAS["operator"]}).json()
    assert len(uses) == 1  # the first use is recorded; the next ones in the same spell are not


def test_single_sign_on_trusts_only_the_configured_proxy(cluster, tmp_path):
    server = Dashboard(
        cluster.settings_file, tmp_path / "sso.db",
        INCUS_WEBUI_SSO_USER_HEADER="X-Remote-User",
        INCUS_WEBUI_SSO_ROLES='{"ops": "operator"}',
        INCUS_WEBUI_SSO_TRUSTED_PROXIES='["127.0.0.1/32"]',
    )
    try:
        reply = httpx.get(server.url + "/", headers={"X-Remote-User": "sam", "X-Remote-Groups": "staff, ops"})
        assert reply.status_code == 200 and "sam (operator)" in reply.text
        unknown = httpx.get(server.url + "/", headers={"X-Remote-User": "eve", "X-Remote-Groups": "staff"},
                            follow_redirects=False)
        assert unknown.status_code == 303  # no role for those groups: a normal login is needed
    finally:
        server.stop()


def test_sso_headers_are_ignored_when_sso_is_off(cluster, tmp_path):
    """Headers that grant admin to a dashboard with SSO on (the first, to show they would),
    from the very proxy it trusts, with the same roles configured: nothing with SSO off."""
    sso = {"INCUS_WEBUI_SSO_ROLES": '{"ops": "admin"}', "INCUS_WEBUI_SSO_TRUSTED_PROXIES": '["127.0.0.0/8"]'}
    granting = {"X-Remote-User": "sam", "X-Remote-Groups": "ops"}
    for user_header, status in (("X-Remote-User", 200), ("", 303)):
        on = {"INCUS_WEBUI_SSO_USER_HEADER": user_header} if user_header else {}
        server = Dashboard(cluster.settings_file, tmp_path / f"sso{status}.db", personas=False, **sso, **on)
        try:
            reply = httpx.get(server.url + "/", headers=granting, follow_redirects=False)
            assert reply.status_code == status, (user_header, reply.status_code)
        finally:
            server.stop()


def test_a_fresh_install_says_how_to_create_the_first_account(cluster, tmp_path):
    server = Dashboard(cluster.settings_file, tmp_path / "fresh.db", personas=False)
    try:
        assert "incus-webui user add NAME --role admin" in httpx.get(server.url + "/login").text
    finally:
        server.stop()


def test_the_server_refuses_an_unmigrated_database(cluster, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "webui.cli", "serve", "--config", str(cluster.settings_file)],
        env={"INCUS_WEBUI_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode != 0
    assert "run `incus-webui db upgrade`" in result.stderr


def test_an_admin_creates_and_revokes_an_api_token_in_the_browser(dashboard):
    page = dashboard.get("/settings").text
    assert "API tokens" in page and PERSONAS["auditor"] in page
    reply = dashboard.admin.post("/settings/tokens", data={"user": PERSONAS["auditor"]})
    token = reply.text.split('<code class="secret">')[1].split("<")[0]
    assert token.startswith("iwt_") and token not in dashboard.get("/settings").text  # shown once
    api = dashboard.url + "/api/v1/cluster/members"
    assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = reply.text.split("/settings/tokens/")[-1].split("/revoke")[0]
    dashboard.admin.post(f"/settings/tokens/{token_id}/revoke")
    assert httpx.get(api, headers={"Authorization": f"Bearer {token}"}).status_code == 401
