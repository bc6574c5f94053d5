"""Who is asking: resolved once per request, before routing (pure ASGI, so SSE streams pass
untouched). Routes then check what that identity may do (webui/routes/deps.py: authorize).

In order: an API token (`Authorization: Bearer iwt_…`, /api/ only; when the header is sent,
the session cookie is never looked at, and state["bearer"] says whether the token was valid), a display token
(`/noc?token=iwd_…` once, then its cookie: the NOC view and its stream only), a user name from a trusted reverse proxy
(single sign-on, off unless configured), and the session cookie.

An account may hold a role of its own in a cluster: the identity's role is the one in the
cluster the request is about (webui/middleware/cluster_paths.py put its name in the state), so
every check after this one (routes, templates, streams) uses it untouched."""

from datetime import timedelta
from ipaddress import ip_network
from urllib.parse import parse_qs

import anyio.to_thread
from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from webui.audit.log import AuditLog, AuditUnavailable
from webui.auth import store
from webui.auth.roles import anywhere, grants_for_groups
from webui.identity import Identity, request_actor
from webui.middleware._http import cookie, cookie_name, header, is_secure
from webui.middleware.client_address import Networks, within
from webui.settings import Settings


class IdentifyMiddleware:
    def __init__(self, app: ASGIApp, engine: Engine, settings: Settings) -> None:
        self.app = app
        self.engine = engine
        self.settings = settings
        self.idle = timedelta(minutes=settings.session_idle_minutes)
        self.proxies: Networks = [ip_network(p, strict=False) for p in settings.sso_trusted_proxies]
        self.clusters = settings.cluster_names() if settings.sso_user_header else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/static/"):
            state = scope.setdefault("state", {})
            state["credential"] = None
            state["bearer"] = False
            identity = await anyio.to_thread.run_sync(self.identify, scope)
            state["identity"] = identity and identity.at(state.get("cluster", ""))
            if state["credential"] and identity:  # a stream ends when one of its roles changes
                kind, key, _ = state["credential"]
                state["credential"] = (kind, key, str(identity.roles))
        await self.app(scope, receive, send)

    def identify(self, scope: Scope) -> Identity | None:
        """Who is asking; what they proved it with goes to state["credential"] (a stream
        checks it on every heartbeat, webui/live/hub.py)."""
        authorization = header(scope, b"authorization")
        if authorization.startswith("Bearer ") and scope["path"].startswith("/api/"):
            identity, new_spell = store.api_token_identity(self.engine, authorization.removeprefix("Bearer ").strip())
            # Only a valid token makes the request bearer-authenticated (CSRF then has nothing
            # to guard: no browser adds the header by itself). A junk one beside a session
            # cookie is no one, and the cookie is not looked at.
            scope["state"]["bearer"] = identity is not None
            if identity and new_spell:
                audit: AuditLog = scope["state"]["audit"]
                state = {**scope["state"], "identity": identity.at(scope["state"].get("cluster", ""))}
                actor = request_actor(state, scope.get("client"), header(scope, b"user-agent"))
                try:
                    audit.append(**actor.fields(), action="token-use", target=scope["path"], outcome="succeeded")
                except AuditUnavailable:
                    pass  # a read goes on; any change this request makes is refused by its own record
            return identity
        display = self.display_token(scope)
        if display.startswith(store.DISPLAY_TOKEN_PREFIX):
            scope["state"]["credential"] = ("display", store.token_hash(display), "")
            return store.display_identity(self.engine, display)
        if sso := self.sso_identity(scope):
            return sso
        session = cookie(scope, cookie_name(store.SESSION_COOKIE, is_secure(scope, self.settings.secure_cookies)))
        if not session:
            return None
        scope["state"]["credential"] = ("session", store.token_hash(session), "")
        return store.session_identity(self.engine, session, self.idle)

    @staticmethod
    def display_token(scope: Scope) -> str:
        """A wall display's token: in the NOC view's URL the first time (webui/routes/noc.py
        then moves it into a cookie scoped to /noc), in that cookie afterwards."""
        if not scope["path"].startswith("/noc"):
            return ""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[0]
        return query or cookie(scope, store.DISPLAY_COOKIE)

    def sso_identity(self, scope: Scope) -> Identity | None:
        """The proxy's word on who this is, only when the socket's peer (never an address a
        header claims) is a configured proxy."""
        settings = self.settings
        if not settings.sso_user_header or not within(scope["state"].get("peer", ""), self.proxies):
            return None
        user = header(scope, settings.sso_user_header.lower().encode())
        if not user:
            return None
        groups = [g.strip() for g in header(scope, settings.sso_groups_header.lower().encode()).split(",")]
        grants = grants_for_groups(groups, settings.sso_roles, self.clusters)
        return Identity(user, grants.everywhere, "sso", grants) if anywhere(grants, "view") else None
