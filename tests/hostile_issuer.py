"""An OpenID provider that lies, for the hostile tests: it answers like one (discovery, keys, an
authorization endpoint that sends the browser straight back with a code, a token endpoint that
checks PKCE) but hands out the ID token the test asks for: for another audience, expired, with
another nonce, from another issuer, with its signature broken. A real provider cannot be made
to do these; the dashboard must refuse them all the same.

Served with uvicorn in a thread on a free loopback port, stopped when the test module ends."""

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.conftest import free_port
from tests.oidc_provider import CLIENT_ID

# What the test changes in the ID token: its claims (given the good ones) or its finished text.
Claims = Callable[[dict[str, Any]], dict[str, Any]]


class HostileIssuer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": "hostile", "alg": "RS256", "use": "sig"}, private=True)
        self.claimed_issuer = self.url  # what discovery says the issuer is
        self.claims: Claims = lambda good: good
        self.text: Callable[[str], str] = lambda token: token
        self.sign_with = self.key
        self.codes: dict[str, dict[str, str]] = {}  # code -> the authorization request's parameters
        self.token_requests: list[dict[str, str]] = []
        app = Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "HostileIssuer":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the hostile issuer did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def reset(self) -> None:
        """An honest provider again."""
        self.claimed_issuer = self.url
        self.claims = lambda good: good
        self.text = lambda token: token
        self.sign_with = self.key

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.claimed_issuer,
            "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token",
            "jwks_uri": self.url + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        })

    async def jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet([self.key]).as_dict(private=False))

    async def authorize(self, request: Request) -> Response:
        """Signed in at once, as "mallory": straight back to the redirect URI with a code."""
        params = dict(request.query_params)
        code = secrets.token_urlsafe(16)
        self.codes[code] = params
        return RedirectResponse(params["redirect_uri"] + "?" + urlencode({"code": code, "state": params["state"]}))

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_requests.append(form)
        asked = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if asked is None or asked.get("code_challenge") != challenge:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        at = int(time.time())
        good = {
            "iss": self.url, "sub": "mallory", "aud": CLIENT_ID, "iat": at, "exp": at + 300,
            "nonce": asked.get("nonce", ""), "preferred_username": "mallory", "groups": ["incus-admins"],
        }
        header = {"alg": "RS256", "kid": self.sign_with.kid}
        id_token = self.text(jwt.encode(header, self.claims(good), self.sign_with))
        return JSONResponse({"access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "id_token": id_token})
