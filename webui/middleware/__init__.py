"""The ASGI middleware, in one place and one order: pure ASGI (no BaseHTTPMiddleware), so an
SSE stream's frames pass through untouched.

From the outside in (an SSE stream's life after its request is outside FastAPI's own layers,
`webui.middleware.detach`): security headers go on every reply, outside even FastAPI's error
handler, so a refusal or a 500 from any layer below carries them too; the client's address
(the socket's peer, and whom a trusted proxy forwards); the cluster a path names (its pages
and API served as for one cluster); a Host this dashboard does not answer to is refused; the
timing for /metrics; the body limit refuses before anything reads; who is asking is resolved;
CSRF checks every unsafe method (and records a refusal with who it was)."""

from functools import partial
from urllib.parse import urlsplit

from prometheus_client import Histogram
from sqlalchemy import Engine

from webui.middleware.allowed_hosts import AllowedHostsMiddleware
from webui.middleware.body_limit import BodyLimitMiddleware
from webui.middleware.client_address import ClientAddressMiddleware
from webui.middleware.cluster_paths import ClusterPathsMiddleware
from webui.middleware.csrf import CSRFMiddleware
from webui.middleware.detach import DetachingFastAPI
from webui.middleware.identify import IdentifyMiddleware
from webui.middleware.security_headers import SecurityHeadersMiddleware
from webui.middleware.timing import TimingMiddleware
from webui.settings import Settings


def install(app: DetachingFastAPI, engine: Engine, settings: Settings, request_seconds: Histogram) -> None:
    # Starlette wraps in reverse: the last added is the outermost.
    app.add_middleware(CSRFMiddleware, secure_cookie=settings.secure_cookies)
    app.add_middleware(IdentifyMiddleware, engine=engine, settings=settings)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(TimingMiddleware, histogram=request_seconds)
    app.add_middleware(AllowedHostsMiddleware, settings=settings)
    app.add_middleware(ClusterPathsMiddleware)
    app.add_middleware(ClientAddressMiddleware, forwarded_allow_ips=settings.forwarded_allow_ips)
    # Logging out goes on to the OpenID provider: a form's redirect there must be allowed.
    issuer = urlsplit(settings.oidc_issuer)
    provider = f"{issuer.scheme}://{issuer.netloc}" if settings.oidc_issuer else ""
    app.around_errors = partial(SecurityHeadersMiddleware, form_targets=provider)
