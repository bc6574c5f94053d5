"""Callbacks a browser should never bring, against the real provider (tests/oidc_provider.py): a
replayed one, a used code under a new sign-in, another browser's sign-in (login CSRF); and a key
rotation at the provider, which must not lock anyone out."""

import base64
import json

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.oidc_provider import callback_url, sign_in
from tests.security.conftest import audit_rows
from webui import db
from webui.models import OidcAccount

STATE_COOKIE = "incus_webui_oidc"


def browser(dashboard) -> httpx.Client:
    return httpx.Client(base_url=dashboard.url, timeout=30)


def last_refusal(dashboard) -> str:
    return audit_rows(dashboard, action="oidc-login", outcome="denied")[-1].error


def test_a_replayed_callback_is_refused(oidc):
    dashboard = oidc.dashboard()
    with browser(dashboard) as ann:
        url = callback_url(ann, "ann")
        state = ann.cookies[STATE_COOKIE]
        assert ann.get(url).status_code == 303  # signed in
        again = ann.get(url)
        assert again.status_code == 403 and "not started in this browser" in again.text  # its cookie is gone
        ann.cookies.set(STATE_COOKIE, state)
        again = ann.get(url)
        assert again.status_code == 403 and "already used sign-in" in again.text
    assert last_refusal(dashboard) == "unknown or already used sign-in (a replayed callback)"


def test_a_used_code_under_a_new_sign_in_is_refused_by_the_provider(oidc):
    dashboard = oidc.dashboard()
    with browser(dashboard) as ann:
        used = httpx.URL(callback_url(ann, "ann"))
        assert ann.get(used).status_code == 303
        ann.get("/auth/oidc/login")  # a new sign-in: a new state, in the cookie and the database
        state = ann.cookies[STATE_COOKIE]
        replayed = ann.get("/auth/oidc/callback", params={"code": used.params["code"], "state": state})
        assert replayed.status_code == 403 and "the provider refused the code: invalid_grant" in replayed.text
    assert last_refusal(dashboard).startswith("the provider refused the code: invalid_grant")


def test_another_browsers_sign_in_is_refused(oidc):
    """Login CSRF: the attacker signs in, and makes the victim's browser open their callback."""
    dashboard = oidc.dashboard()
    with browser(dashboard) as mallory, browser(dashboard) as victim:
        url = callback_url(mallory, "ann")
        refused = victim.get(url)
        assert refused.status_code == 403 and "not started in this browser" in refused.text
        assert victim.get("/", follow_redirects=False).status_code == 303  # signed in as nobody


def kid(token: str) -> str:
    header = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def last_id_token(dashboard, subject: str) -> str:
    engine = db.make_engine(dashboard.database_url)
    try:
        with Session(engine) as session:
            return session.scalar(select(OidcAccount.id_token).where(OidcAccount.subject == subject))
    finally:
        engine.dispose()


def test_a_key_rotation_at_the_provider_keeps_sign_in_working(oidc):
    dashboard = oidc.dashboard()
    with browser(dashboard) as before:
        assert sign_in(before, "ann").status_code == 200
    assert kid(last_id_token(dashboard, "ann")) == "first"  # the dashboard holds the provider's keys
    oidc.provider.rotate_key("second")
    with browser(dashboard) as after:
        landed = sign_in(after, "ann")
        assert landed.status_code == 200 and landed.url.path == "/"
    assert kid(last_id_token(dashboard, "ann")) == "second"  # fetched again for the unknown kid
    assert audit_rows(dashboard, action="oidc-login")[-1].outcome == "succeeded"
