"""CSRF protection for every mutating request (pure ASGI, so SSE streams pass untouched).

Each browser gets a random token in a SameSite=Strict cookie; pages put it in htmx's
`hx-headers` on <body>, and every POST, PUT, PATCH or DELETE must send it back in the
X-CSRF-Token header (or, for a plain HTML form such as the login, a `csrf_token` field).
A forged cross-site request can send neither. Requests with an API token (Authorization:
Bearer) need none: a browser never adds that header by itself."""

import hmac
import secrets
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webui.middleware._http import cookie, header, refuse

COOKIE = "incus_webui_csrf"
HEADER = b"x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, secure_cookie: bool = False) -> None:
        self.app = app
        self.secure_cookie = secure_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = cookie(scope, COOKIE)
        if scope["method"] not in SAFE_METHODS and not header(scope, b"authorization").startswith("Bearer "):
            sent = header(scope, HEADER)
            if not sent and header(scope, b"content-type").startswith("application/x-www-form-urlencoded"):
                body = await _read_body(receive)
                sent = parse_qs(body.decode("latin-1")).get("csrf_token", [""])[0]
                receive = _replay(body)
            if not token or not sent or not hmac.compare_digest(token, sent):
                await refuse(scope, send, 403, "CSRF token missing or wrong: reload the page and try again")
                return
        new = not token
        token = token or secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_cookie(message: Message) -> None:
            if new and message["type"] == "http.response.start":
                secure = "; Secure" if self.secure_cookie or scope.get("scheme") == "https" else ""
                set_cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"
                message["headers"] = list(message.get("headers", [])) + [(b"set-cookie", set_cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += bytes(message.get("body", b""))
        if not message.get("more_body"):  # BodyLimitMiddleware, outside, caps the size
            return body


def _replay(body: bytes) -> Receive:
    """The body again, for the route, since this middleware consumed it."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
