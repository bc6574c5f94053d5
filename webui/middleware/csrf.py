"""CSRF protection for every mutating request (pure ASGI, so SSE streams pass untouched).

Two checks on every POST, PUT, PATCH or DELETE, both refusals recorded in the audit log (an
anonymous one counted, and folded into one record per address and minute: audit/refusals.py):

- The browser's own word on where the request comes from: `Sec-Fetch-Site` must be
  same-origin (or "none": typed by the user), and `Origin`, when sent, must be this site.
  Every current browser sends one of them; a client that sends neither is not a browser
  that a forged page could drive, and still needs the token.
- A token, sent back in the X-CSRF-Token header (htmx's `hx-headers` on <body>) or a
  `csrf_token` form field. Logged in, it is derived from the session (a hash of its
  HttpOnly cookie): bound to it, and new at every login since the session is. Before
  login (the login form), it is a random cookie echoed back; over HTTPS that cookie is
  `__Host-` prefixed, so no sibling subdomain can plant one.

A request from someone logged in (a session cookie, or single sign-on: credentials the
browser sends by itself) must also say where it comes from: a same-origin Sec-Fetch-Site or
Origin. Every current browser sends one; a script should use an API token.

Requests with a valid API token (Authorization: Bearer, webui/middleware/identify.py, which
runs first and then ignores the session cookie) need neither: a browser never adds that header
by itself. The header alone, with a token that is not valid, turns nothing off."""

import hashlib
import hmac
import secrets
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webui.audit.log import AuditLog, AuditUnavailable
from webui.audit.refusals import count_refusal
from webui.auth.store import SESSION_COOKIE
from webui.identity import request_actor
from webui.middleware._http import cookie, cookie_name, header, is_secure, refuse

COOKIE = "incus_webui_csrf"  # `__Host-` prefixed over HTTPS (webui/middleware/_http.py: cookie_name)
HEADER = b"x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SAME_SITE = {"same-origin", "none"}


def session_token(session: str) -> str:
    """The CSRF token of a session: only a holder of the HttpOnly cookie can compute it."""
    return hashlib.sha256(b"incus-webui csrf " + session.encode()).hexdigest()


def own_origin(scope: Scope) -> str:
    return f"{scope.get('scheme', 'http')}://{header(scope, b'host')}"


def cross_site(scope: Scope, required: bool) -> str:
    """Why the browser's headers say this request comes from another site ("" if they don't);
    `required`: that neither header was sent is a reason too."""
    fetch_site = header(scope, b"sec-fetch-site")
    if fetch_site and fetch_site not in SAME_SITE:
        return f"Sec-Fetch-Site: {fetch_site[:100]}"
    origin = header(scope, b"origin")
    if origin and origin != own_origin(scope):
        parts = urlsplit(origin)
        return f"Origin: {parts.scheme}://{parts.netloc}"[:100] if parts.netloc else f"Origin: {origin[:100]}"
    if required and not fetch_site and not origin:
        return "neither Sec-Fetch-Site nor Origin sent"
    return ""


class CSRFMiddleware:
    def __init__(self, app: ASGIApp, secure_cookie: bool = False) -> None:
        self.app = app
        self.secure_cookie = secure_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = is_secure(scope, self.secure_cookie)
        name = cookie_name(COOKIE, secure)
        anonymous = cookie(scope, name)
        session = cookie(scope, cookie_name(SESSION_COOKIE, secure))
        expected = session_token(session) if session else anonymous
        state = scope.setdefault("state", {})
        if scope["method"] not in SAFE_METHODS and not state.get("bearer"):
            sent = header(scope, HEADER)
            if not sent and header(scope, b"content-type").startswith("application/x-www-form-urlencoded"):
                body = await _read_body(receive)
                sent = parse_qs(body.decode("latin-1")).get("csrf_token", [""])[0]
                receive = _replay(body)
            reason = cross_site(scope, required=state.get("identity") is not None)
            if not reason and (not expected or not sent or not hmac.compare_digest(expected, sent)):
                reason = "CSRF token missing or wrong"
            if reason:
                await _record(scope, reason)
                message = "Refused: this request did not come from the dashboard's own pages"
                await refuse(scope, send, 403, f"{message} ({reason}): reload the page and try again")
                return
        new = not anonymous
        anonymous = anonymous or secrets.token_urlsafe(32)
        state["csrf_token"] = session_token(session) if session else anonymous

        async def send_with_cookie(message: Message) -> None:
            if new and message["type"] == "http.response.start":
                flags = "; Secure" if secure else ""
                set_cookie = f"{name}={anonymous}; Path=/; HttpOnly; SameSite=Strict{flags}"
                message["headers"] = list(message.get("headers", [])) + [(b"set-cookie", set_cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def _record(scope: Scope, reason: str) -> None:
    state = scope.get("state", {})
    audit: AuditLog | None = state.get("audit")
    if audit is None:
        return
    actor = request_actor(state, scope.get("client"), header(scope, b"user-agent"))
    path = scope["path"]
    action = f"{scope['method']} {path}"
    try:
        if actor.identity is None:  # anyone who reaches the port: counted, one record a minute
            await anyio.to_thread.run_sync(lambda: count_refusal(audit.engine, actor, action, path, reason))
        else:
            await anyio.to_thread.run_sync(
                lambda: audit.append(**actor.fields(), action=action, target=path, outcome="denied", error=reason)
            )
    except (AuditUnavailable, SQLAlchemyError):
        pass  # refused either way


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
