"""Security headers on every reply: a Content-Security-Policy that allows only the
dashboard's own scripts and styles (no inline script, no CDN), and the usual companions;
over HTTPS (served with --tls-cert, or a trusted proxy's X-Forwarded-Proto) also HSTS."""

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000")
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def policy_for(body: bytes, policy: str = POLICY) -> str:
    """The policy, plus the hash of each inline script in `body` (only FastAPI's /docs page
    has one: the Swagger UI start-up), so exactly those may run."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(body)
    ]
    return policy.replace("script-src 'self'", " ".join(["script-src 'self'", *hashes])) if hashes else policy


def _headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """Asked when the reply starts: this layer is outside the one that learns from a trusted
    proxy that the request came over HTTPS (webui/middleware/client_address.py)."""
    return [*HEADERS, HSTS] if scope.get("scheme") == "https" else HEADERS


class SecurityHeadersMiddleware:
    """`form_targets`: origins a form may lead to besides this site: the OpenID provider's,
    where logging out goes on (browsers hold a form's redirects to form-action too)."""

    def __init__(self, app: ASGIApp, hashed_paths: tuple[str, ...] = ("/docs",), form_targets: str = "") -> None:
        self.app = app
        self.hashed_paths = hashed_paths
        self.policy = POLICY.replace("form-action 'self'", f"form-action 'self' {form_targets}".strip())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.hashed_paths:
            await self._hashed(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                policy = (b"content-security-policy", self.policy.encode())
                message["headers"] = [*message.get("headers", []), *_headers(scope), policy]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _hashed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold a small page back until its body is known, to hash its inline script."""
        start: Message = {}
        body = b""

        async def buffer(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                policy = (b"content-security-policy", policy_for(body, self.policy).encode())
                await send({**start, "headers": [*start.get("headers", []), *_headers(scope), policy]})
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffer)
