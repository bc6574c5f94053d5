"""What the middleware read from and answer on the raw ASGI connection: a header, a cookie,
and a refusal before any route runs (Incus's error envelope under /api/, plain text elsewhere,
since no templates exist at that layer)."""

import json
from http.cookies import SimpleCookie

from starlette.types import Scope, Send

from webui.incus.envelopes import error_body


def header(scope: Scope, name: bytes) -> str:
    """The first value of a request header (`name` in lower case, as ASGI gives them)."""
    return next((v.decode("latin-1") for n, v in scope.get("headers", []) if n == name), "")


def cookie_name(name: str, secure: bool) -> str:
    """A cookie's name: over HTTPS `__Host-` prefixed, which the browser accepts only when it
    is Secure, for Path=/ and without Domain, so no sibling subdomain can plant one, and which
    a cookie set over plain HTTP (or by a sibling) can never be named."""
    return "__Host-" + name if secure else name


def is_secure(scope: Scope, secure_cookies: bool) -> bool:
    """Whether this request's cookies are Secure: `secure_cookies`, or it came over HTTPS."""
    return secure_cookies or scope.get("scheme") == "https"


def cookie(scope: Scope, name: str) -> str:
    raw = header(scope, b"cookie")
    if not raw:
        return ""
    jar = SimpleCookie(raw)
    return jar[name].value if name in jar else ""


async def refuse(scope: Scope, send: Send, status: int, message: str, close: bool = False) -> None:
    if scope["path"].startswith("/api/"):
        body = json.dumps(error_body(status, message)).encode()
        content_type = b"application/json"
    else:
        body = message.encode()
        content_type = b"text/plain; charset=utf-8"
    headers = [(b"content-type", content_type)]
    if close:  # the rest of the request body is not read: the connection cannot be reused
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
