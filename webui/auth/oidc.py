"""The OpenID provider, through authlib: discovery, the authorization URL (code flow, PKCE
S256, a nonce), the code's exchange, and the ID token's checks (signature against the
issuer's keys, fetched again on an unknown `kid`; issuer, audience, expiry, nonce). No
token check is written here: authlib and joserfc make them, this module names their refusals.

Built once in the app's lifespan (the discovery document and keys are cached in it)."""

import warnings
from dataclasses import dataclass, replace
from typing import Any

import httpx
from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, JoseError

# authlib prefers httpx2 and warns when it falls back to httpx, which is the dashboard's one
# HTTP client (and whose exceptions this module catches): the fallback is meant. Its warning
# module, imported first, puts an "always" filter in front of the one ignoring it.
from authlib.deprecate import AuthlibDeprecationWarning  # isort: skip

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The httpx module is deprecated", AuthlibDeprecationWarning)
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.starlette_client import StarletteOAuth2App

LEEWAY = 60  # seconds of clock difference allowed to the provider's exp, iat and nbf
TIMEOUT = 10.0  # seconds for each request to the provider


class OidcRefused(Exception):
    """A sign-in refused, with the reason the audit log records and the person is shown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Start:
    """A sign-in's first step: where to send the browser, and what its callback must match."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class Signed:
    """What a valid ID token says of the person, and the tokens that came with it."""

    issuer: str
    subject: str
    name: str
    groups: list[str]
    id_token: str
    refresh_token: str = ""


def _reason(exc: JoseError) -> str:
    """The audit log's words for what authlib or joserfc refused."""
    if isinstance(exc, ExpiredTokenError):
        return "expired ID token"
    if isinstance(exc, BadSignatureError):
        return "bad ID token signature"
    if isinstance(exc, ClaimError):
        words = {"aud": "wrong audience", "azp": "wrong audience", "iss": "unknown issuer", "nonce": "bad nonce"}
        return words.get(exc.claim, f"bad ID token claim {exc.claim!r}")
    return f"unusable ID token ({exc.error})"


class Provider:
    """One OpenID provider, as the settings name it."""

    def __init__(self, issuer: str, client_id: str, client_secret: str, scopes: str, groups_claim: str) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.groups_claim = groups_claim
        self.app = StarletteOAuth2App(
            None,
            name="oidc",
            client_id=client_id,
            client_secret=client_secret,
            server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": scopes, "code_challenge_method": "S256", "timeout": TIMEOUT},
        )

    async def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched once; OidcRefused when the provider cannot be read
        or names another issuer than the one configured (OpenID Connect Discovery 1.0, 4.3)."""
        try:
            metadata: dict[str, Any] = await self.app.load_server_metadata()
        except (httpx.HTTPError, ValueError) as exc:
            self.app.server_metadata.clear()  # asked again next time
            raise OidcRefused(f"the provider could not be reached ({exc.__class__.__name__}: {exc})") from exc
        claimed = str(metadata.get("issuer"))
        if claimed != self.issuer:
            self.app.server_metadata.clear()  # the same dict as `metadata`: asked again next time
            raise OidcRefused(f"unknown issuer: the provider says it is {claimed[:200]!r}")
        return metadata

    async def start(self, redirect_uri: str) -> Start:
        await self.metadata()
        started = await self.app.create_authorization_url(redirect_uri)
        return Start(started["url"], started["state"], started["nonce"], started["code_verifier"])

    async def finish(self, redirect_uri: str, code: str, code_verifier: str, nonce: str) -> Signed:
        """The code exchanged (with the PKCE verifier) and its ID token checked."""
        await self.metadata()
        token = await self._token(redirect_uri=redirect_uri, code=code, code_verifier=code_verifier)
        return await self._signed(token, nonce)

    async def refresh(self, refresh_token: str) -> Signed:
        """A new ID token through the refresh token (the groups as the provider has them now)."""
        await self.metadata()
        # No scope: the grant's own (RFC 6749, 6). Asking the configured ones again is refused
        # by providers that granted fewer (offline_access, given only with consent).
        token = await self._token(grant_type="refresh_token", refresh_token=refresh_token, scope="")
        signed = await self._signed(token, None)
        return signed if signed.refresh_token else replace(signed, refresh_token=refresh_token)

    async def logout_url(self, id_token: str, after: str) -> str:
        """RP-initiated logout's URL at the provider; "" when it publishes no end_session_endpoint."""
        if "end_session_endpoint" not in await self.metadata():
            return ""
        made = await self.app.create_logout_url(
            post_logout_redirect_uri=after, id_token_hint=id_token or None, client_id=self.client_id
        )
        return str(made["url"])

    async def _token(self, **params: str) -> dict[str, Any]:
        try:
            token: dict[str, Any] = await self.app.fetch_access_token(**params)
        except OAuthError as exc:  # the provider's own words: invalid_grant for a used or unknown code
            raise OidcRefused(f"the provider refused the code: {exc.error} {exc.description or ''}".strip()) from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcRefused(f"the provider could not be reached ({exc.__class__.__name__})") from exc
        if "id_token" not in token:
            raise OidcRefused("the provider sent no ID token (is the scope openid requested?)")
        return token

    async def _signed(self, token: dict[str, Any], nonce: str | None) -> Signed:
        # Issuer and audience are required to be exactly ours: authlib alone checks the issuer
        # (and the audience only through azp).
        options = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.client_id},
        }
        try:
            claims = await self.app.parse_id_token(token, nonce, claims_options=options, leeway=LEEWAY)
        except JoseError as exc:
            raise OidcRefused(_reason(exc)) from exc
        except httpx.HTTPError as exc:  # the keys could not be fetched
            raise OidcRefused(f"the provider's keys could not be read ({exc.__class__.__name__})") from exc
        groups = claims.get(self.groups_claim, [])
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise OidcRefused(f"the {self.groups_claim!r} claim is not a list of group names")
        name = next((str(claims[c]) for c in ("preferred_username", "email", "sub") if claims.get(c)), "")
        return Signed(
            issuer=str(claims["iss"]), subject=str(claims["sub"]), name=name[:100], groups=groups,
            id_token=token["id_token"], refresh_token=str(token.get("refresh_token", "")),
        )
