"""ID tokens a provider should never send: each refused, the person told why, and the refusal
recorded with its reason. The tokens come from a lying provider (tests/hostile_issuer.py) that
the dashboard reaches through the real code flow."""

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from joserfc.jwk import RSAKey

from tests.conftest import Dashboard, free_port
from tests.hostile_issuer import HostileIssuer
from tests.oidc_provider import oidc_dashboard
from tests.security.conftest import audit_rows


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HostileIssuer, Dashboard]]:
    with HostileIssuer() as issuer:
        dashboard = oidc_dashboard(tmp_path_factory.mktemp("hostile"), issuer.url, free_port())
        try:
            yield issuer, dashboard
        finally:
            dashboard.stop()


def sign_in(dashboard: Dashboard) -> httpx.Response:
    with httpx.Client(base_url=dashboard.url, timeout=30) as client:
        return client.get("/auth/oidc/login", follow_redirects=True)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def resigned_payload(token: str) -> str:
    """The token with its payload changed (someone else's subject) and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join([header, b64({**claims, "sub": "alice"}), signature])


def unsigned(token: str) -> str:
    """The token as `alg: none`, with no signature."""
    _, payload, _ = token.split(".")
    return ".".join([b64({"alg": "none", "typ": "JWT"}), payload, ""])


CLAIMS = {
    "another audience": (lambda good: {**good, "aud": "someone-else"}, "wrong audience"),
    "ours among others, no azp": (lambda good: {**good, "aud": [good["aud"], "someone-else"]}, "wrong audience"),
    "expired": (lambda good: {**good, "iat": good["iat"] - 7200, "exp": good["iat"] - 3600}, "expired ID token"),
    "wrong nonce": (lambda good: {**good, "nonce": "not the one sent"}, "bad nonce"),
    "no nonce": (lambda good: {k: v for k, v in good.items() if k != "nonce"}, "bad nonce"),
    "another issuer": (lambda good: {**good, "iss": "http://127.0.0.1:9"}, "unknown issuer"),
}


@pytest.mark.parametrize("case", list(CLAIMS))
def test_a_token_with_bad_claims_is_refused(hostile, case):
    issuer, dashboard = hostile
    change, reason = CLAIMS[case]
    issuer.reset()
    issuer.claims = change
    refused = sign_in(dashboard)
    assert refused.status_code == 403
    assert f"Sign-in refused: {reason}." in refused.text
    record = audit_rows(dashboard, action="oidc-login")[-1]
    assert (record.outcome, record.error, record.parameters["issuer"]) == ("denied", reason, issuer.url)


def test_a_tampered_signature_is_refused(hostile):
    issuer, dashboard = hostile
    issuer.reset()
    issuer.text = resigned_payload
    assert "Sign-in refused: bad ID token signature." in sign_in(dashboard).text
    assert audit_rows(dashboard, action="oidc-login")[-1].error == "bad ID token signature"


def test_a_token_signed_with_an_unpublished_key_is_refused(hostile):
    issuer, dashboard = hostile
    issuer.reset()
    issuer.sign_with = RSAKey.generate_key(2048, parameters={"kid": "hostile", "alg": "RS256"}, private=True)
    assert "Sign-in refused: bad ID token signature." in sign_in(dashboard).text


def test_an_unsigned_token_is_refused(hostile):
    issuer, dashboard = hostile
    issuer.reset()
    issuer.text = unsigned
    refused = sign_in(dashboard)
    assert refused.status_code == 403 and "Sign-in refused: unusable ID token" in refused.text


def test_an_honest_token_signs_in_through_pkce(hostile):
    issuer, dashboard = hostile
    issuer.reset()
    landed = sign_in(dashboard)
    assert landed.status_code == 200 and landed.url.path == "/"
    asked = issuer.token_requests[-1]
    assert asked["grant_type"] == "authorization_code" and len(asked["code_verifier"]) >= 43  # RFC 7636
    assert audit_rows(dashboard, action="oidc-login")[-1].outcome == "succeeded"


def test_a_provider_naming_another_issuer_is_refused(tmp_path: Path):
    """The settings name one issuer, the discovery document another (OpenID Connect Discovery 4.3)."""
    with HostileIssuer() as issuer:
        issuer.claimed_issuer = "http://127.0.0.1:9"
        dashboard = oidc_dashboard(tmp_path, issuer.url, free_port())
        try:
            refused = sign_in(dashboard)
            assert refused.status_code == 502
            assert "unknown issuer: the provider says it is &#39;http://127.0.0.1:9&#39;" in refused.text
            record = audit_rows(dashboard, action="oidc-login")[-1]
            assert record.outcome == "denied" and record.error.startswith("unknown issuer")
        finally:
            dashboard.stop()
