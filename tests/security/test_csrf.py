"""Cross-site request forgery: a token bound to the session and new at each login, a
`__Host-` cookie over HTTPS, the browser's Origin and Sec-Fetch-Site checked on every
unsafe method, and every refusal recorded."""

from datetime import timedelta

import httpx
import pytest

from tests.conftest import PASSWORD, PERSONAS, csrf_token
from tests.security.conftest import SUBNET, audit_rows, from_address
from webui import db
from webui.audit import refusals
from webui.clock import now

pytestmark = pytest.mark.cluster

EDIT = "/members/nosuch/edit"  # refused before Incus hears of it, whoever asks


def test_a_page_on_another_site_cannot_post_even_with_the_right_token(dashboard):
    client = dashboard.login("operator")
    try:
        for forged in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
            reply = client.post(EDIT, data={}, headers=forged)
            assert reply.status_code == 403 and "did not come from the dashboard" in reply.text, forged
        same = client.post(EDIT, data={}, headers={"Origin": dashboard.url, "Sec-Fetch-Site": "same-origin"})
        assert same.status_code not in (401, 403)  # the member does not exist: refused further in
    finally:
        client.close()
    refusals = audit_rows(dashboard, outcome="denied", target=EDIT, actor=PERSONAS["operator"])
    assert {r.error for r in refusals[-3:]} == {
        "Origin: https://evil.example", "Sec-Fetch-Site: cross-site", "Origin: null"
    }


def test_the_token_is_bound_to_its_session_and_changes_at_login(dashboard):
    operator, auditor = dashboard.login("operator"), dashboard.login("auditor")
    try:
        # The auditor's own token, planted in the operator's browser, does not work there.
        planted = operator.post(EDIT, data={}, headers={"X-CSRF-Token": csrf_token(auditor)})
        assert planted.status_code == 403
        before = csrf_token(operator)
        operator.post("/login", data={"name": PERSONAS["operator"], "password": PASSWORD, "csrf_token": before})
        assert csrf_token(operator) != before
        assert operator.post(EDIT, data={}, headers={"X-CSRF-Token": before}).status_code == 403
    finally:
        operator.close()
        auditor.close()


def test_over_https_the_cookie_is_host_prefixed_and_secure(own_dashboard):
    server = own_dashboard(INCUS_WEBUI_FORWARDED_ALLOW_IPS='["127.0.0.1"]')  # a TLS proxy in front
    reply = httpx.get(server.url + "/login", headers={"X-Forwarded-Proto": "https"})
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("__Host-incus_webui_csrf=") and "; Path=/;" in cookie and "Secure" in cookie
    assert "domain" not in cookie.lower()


def test_a_junk_bearer_header_beside_a_session_cookie_turns_nothing_off(dashboard):
    cookies = dashboard.cookies  # the admin's valid session, no CSRF token sent
    for junk in ("Bearer x", "Bearer iwt_forged"):
        headers = {"Authorization": junk, "Sec-Fetch-Site": "same-origin"}
        reply = httpx.post(dashboard.url + EDIT, data={}, cookies=cookies, headers=headers)
        assert reply.status_code == 403 and "CSRF token missing or wrong" in reply.text, junk
        api = httpx.delete(dashboard.url + "/api/v1/cluster/members/nosuch", cookies=cookies,
                           headers={"Authorization": junk})
        assert api.status_code == 403, junk  # not bearer-authenticated: CSRF applies, and no token was sent


def test_a_valid_bearer_acts_as_its_token_and_ignores_the_session_cookie(dashboard):
    created = dashboard.cli("token", "create", PERSONAS["auditor"])
    assert created.returncode == 0, created.stderr
    bearer = {"Authorization": f"Bearer {created.stdout.strip()}"}
    # Beside the admin's cookie, as the auditor: not allowed to remove a member (the admin
    # would be told the member does not exist).
    reply = httpx.delete(dashboard.url + "/api/v1/cluster/members/nosuch", cookies=dashboard.cookies, headers=bearer)
    assert reply.status_code == 403 and "auditor" in reply.text


def test_logged_in_a_post_must_say_it_comes_from_the_dashboards_own_pages(dashboard):
    client = dashboard.login("operator")
    try:
        del client.headers["Sec-Fetch-Site"]  # the right token, but neither header a browser sends
        reply = client.post(EDIT, data={})
        assert reply.status_code == 403 and "neither Sec-Fetch-Site nor Origin sent" in reply.text
        assert client.post(EDIT, data={}, headers={"Origin": dashboard.url}).status_code == 404
        assert client.post(EDIT, data={}, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 404
    finally:
        client.close()


def test_refused_anonymous_posts_are_folded_into_one_record_a_minute(own_dashboard):
    server = own_dashboard("refusals")
    before = len(audit_rows(server))
    path = "/" + "p" * 3000
    with from_address(server, 61) as anonymous:
        anonymous.headers["User-Agent"] = "u" * 7000
        codes = {anonymous.post(path, data={"x": "y"}).status_code for _ in range(500)}
    assert codes == {403}
    assert len(audit_rows(server)) - before <= 5  # the minute (or two) not over yet: none, or one each
    # Once the minute is over (made so here), one record per minute with the count, cut short,
    # and the chain still whole.
    engine = db.make_engine(server.database_url)
    try:
        refusals.fold(server.settings().audit_log(engine), before=now() + timedelta(minutes=2))
    finally:
        engine.dispose()
    folded = [r for r in audit_rows(server, outcome="denied") if r.source_address == f"{SUBNET}.61"]
    assert 1 <= len(folded) <= 2 and sum(r.parameters["refused"] for r in folded) == 500
    assert all(len(r.user_agent) <= 200 and len(r.target) <= 255 for r in folded)
    assert len(audit_rows(server)) - before <= 5
    verified = server.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
