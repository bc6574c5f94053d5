"""Dependencies written once: the long-lived objects of lifespan state, who is asking and
whether they may, and the page renderer."""

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, cast
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from webui.audit.log import AuditLog
from webui.auth.oidc import Provider
from webui.auth.roles import DASHBOARD_ROUTES, EVERY, can, clusters_where, route_allows
from webui.identity import Actor, Identity, request_actor
from webui.incus import names
from webui.live.hub import Hub
from webui.metrics import Metrics
from webui.services.configuration.secrets import Secrets
from webui.services.context import Context
from webui.services.errors import Refused, valid_name
from webui.services.maintenance.store import Filters
from webui.services.warnings.listing import Filters as WarningFilters
from webui.settings import Settings

if TYPE_CHECKING:
    from webui.clusters import WatchedCluster

# Dependencies that only read the request are `async def`: FastAPI would run a plain `def`
# in a worker thread, a thread hop per dependency per request.


def _state(name: str) -> Any:
    async def get(request: Request) -> Any:
        return getattr(request.state, name)

    return Depends(get)


HubDep = Annotated[Hub, _state("hub")]
SettingsDep = Annotated[Settings, _state("settings")]
EngineDep = Annotated[Engine, _state("engine")]
ContextDep = Annotated[Context, _state("services")]  # what a service call needs
MetricsDep = Annotated[Metrics, _state("metrics")]
SecretsDep = Annotated[Secrets, _state("secrets")]  # what is secret: ask it, never a list
OidcDep = Annotated[Provider | None, _state("oidc")]  # None: no oidc_issuer configured


class NotAuthenticated(Exception):
    """No valid session or token: pages go to the login form, the API answers 401."""


async def actor(request: Request) -> Actor:
    client = (request.client.host, request.client.port) if request.client else None
    return request_actor(request.scope.get("state", {}), client, request.headers.get("user-agent", ""))


ActorDep = Annotated[Actor, Depends(actor)]


async def identity(request: Request) -> Identity:
    found: Identity | None = getattr(request.state, "identity", None)
    if found is None:
        raise NotAuthenticated()
    return found


IdentityDep = Annotated[Identity, Depends(identity)]


def _audit_format(value: str) -> str:
    if value not in ("csv", "json", "jsonl"):
        raise names.InvalidName("Not an export format (csv, json or jsonl)")
    return value


# Every path parameter a route may take, and the rule its value must follow (Incus's own, for
# the names of Incus's objects). A parameter missing here is refused: a new route cannot let
# unchecked text through by forgetting it (tests/unit/test_path_names.py walks every route).
PATH_NAMES: dict[str, tuple[str, Callable[[str], str]]] = {
    "name": ("cluster member name", names.api_name),
    "group": ("cluster group name", names.api_name),
    "operation_id": ("operation id", names.operation_id),
    "uuid": ("warning id", names.warning_uuid),
    "token_id": ("token id", names.number),
    "display_id": ("display id", names.number),
    "account_id": ("account id", names.number),
    "fmt": ("export format", _audit_format),
}


# The same rules, published in the OpenAPI schema (checked_names has already refused what
# breaks them, in Incus's words, by the time FastAPI would).
MemberName = Annotated[str, Path(pattern=names.API_NAME_PATTERN, max_length=names.API_NAME_MAX)]
GroupName = Annotated[str, Path(pattern=names.API_NAME_PATTERN, max_length=names.API_NAME_MAX)]
OperationId = Annotated[str, Path(pattern=names.OPERATION_ID_PATTERN)]
WarningUuid = Annotated[str, Path(pattern=names.OPERATION_ID_PATTERN)]


async def checked_names(request: Request) -> None:
    """Refuse (400) a path whose names Incus would never have given, before anything else
    runs: no role check, audit record or request to Incus sees them."""
    for parameter, value in request.path_params.items():
        what, check = PATH_NAMES.get(parameter, (parameter, _unknown))
        valid_name(check, value, what)


def _unknown(value: str) -> str:
    raise names.InvalidName("this route's parameter has no rule")


async def authorize(request: Request) -> None:
    """Every route's permission, from one table (webui/auth/roles.py), for the role in the
    request's cluster (or the dashboard-wide rule). A route missing from the table is refused;
    a refusal is recorded in the audit log."""
    who: Identity | None = getattr(request.state, "identity", None)
    route = getattr(request.scope.get("route"), "name", "")
    if route_allows(route, who):
        return
    if who is None:
        raise NotAuthenticated()
    audit: AuditLog = request.state.audit
    if route in DASHBOARD_ROUTES and not who.is_display:
        where = "every cluster" if DASHBOARD_ROUTES[route] == EVERY else "any cluster"
        reason = f"the roles {who.roles} may not do this in {where}"
    elif who.role:
        reason = f"the {who.role} role may not do this"
    else:
        reason = f"no role in cluster {request.state.cluster}"
    await anyio.to_thread.run_sync(
        audit.denied, await actor(request), f"{request.method} {request.url.path}", request.url.path, reason
    )
    raise Refused(403, f"Forbidden: {reason}")


def clusters_seen(request: Request, permission: str = "view") -> list[str]:
    """Of the clusters the dashboard holds, those where the identity holds `permission`: all
    the overview, the cluster bar and the audit log show."""
    who: Identity | None = getattr(request.state, "identity", None)
    return clusters_where(who.roles, permission, request.state.clusters) if who else []


def render_page(
    request: Request,
    template: str,
    topics: list[str],
    status_code: int = 200,
    stream_route: str = "stream",
    stream_url: str = "",
    **context: Any,
) -> HTMLResponse:
    """A full page from the hub's snapshot, with its one SSE stream for `topics` (or at
    `stream_url`, a stream of several clusters).

    The stream URL carries the snapshot version the page shows, so the stream can tell
    whether the page missed an update before it connected."""
    hub: Hub = request.state.hub
    snapshot = hub.snapshot
    templates: Jinja2Templates = request.state.templates
    if not stream_url:
        query = urlencode({"topic": topics, "v": hub.event_id(snapshot.version)}, doseq=True)
        url = cast(Callable[..., str], templates.env.globals["url"])  # the cached route lookup (app.py)
        # stream_route: the NOC view's stream sits under /noc, where a display's cookie is sent.
        stream_url = url(stream_route) + "?" + query
    return templates.TemplateResponse(
        request,
        template,
        {
            "snapshot": snapshot,
            "stream_url": stream_url,
            "csrf_token": request.state.csrf_token,
            "identity": request.state.identity,
            "clusters_seen": clusters_seen(request),
            "audit_problem": request.state.audit.problem,
            **request.state.views.common(snapshot),
            **context,
        },
        status_code=status_code,
    )


MAX_CLUSTERS = 64  # the clusters one page or stream of several may name


def clusters_asked(
    request: Request, identity: Identity, names: list[str] | None, permission: str = "noc"
) -> "list[WatchedCluster]":
    """The clusters a page or stream of several asks for by `names` (None: clusters_seen's),
    each held (else 404) and where the identity holds `permission` (else 403: an account
    without a role there, a display made for other clusters)."""
    held: dict[str, WatchedCluster] = request.state.clusters
    if names is None:
        if not (names := clusters_seen(request, permission)):
            raise Refused(403, "Forbidden: no role in any cluster this dashboard holds")
    if unknown := [name for name in names if name not in held]:
        raise Refused(404, f"No cluster called {unknown[0][:100]!r}")
    if hidden := [name for name in names if not can(identity.roles.role_in(name), permission)]:
        raise Refused(403, f"Forbidden: no role in cluster {hidden[0]} that may see this")
    return [held[name] for name in dict.fromkeys(names)]


def clusters_stream_url(request: Request, route: str, clusters: "list[WatchedCluster]", topic: str) -> str:
    """The one stream of a page of several clusters, with the version of each that it shows.
    Never under a cluster's prefix: the NOC's sits under /noc, where a display's cookie goes."""
    versions = [cluster.hub.event_id(cluster.hub.snapshot.version) for cluster in clusters]
    query = urlencode({"cluster": [c.name for c in clusters], "topic": topic, "v": versions}, doseq=True)
    return str(request.app.url_path_for(route)) + "?" + query


def render_fragment(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A partial (a dialog, a form shown again with its errors) from the hub's snapshot."""
    templates: Jinja2Templates = request.state.templates
    hub: Hub = request.state.hub
    base = {"snapshot": hub.snapshot, "identity": getattr(request.state, "identity", None)}
    return templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def maintenance_filters(
    member: str = "",
    kind: Annotated[str, Query(pattern="^(|evacuate|restore)$")] = "",
    outcome: Annotated[str, Query(pattern="^(|running|succeeded|failed|cancelled)$")] = "",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Filters:
    """The Maintenance page's and /api/v1/maintenance's filters, alike."""
    return Filters(member=member, kind=kind, outcome=outcome, since=since, until=until, limit=limit)


MaintenanceFiltersDep = Annotated[Filters, Depends(maintenance_filters)]


def warning_filters(
    member: str = "",
    severity: Annotated[str, Query(pattern="^(|low|moderate|high)$")] = "",
    status: Annotated[str, Query(pattern="^(|new|acknowledged|resolved)$")] = "",
) -> WarningFilters:
    """The Warnings page's and /api/v1/warnings's filters, alike (Incus's severities and statuses)."""
    return WarningFilters(member=member, severity=severity, status=status)


WarningFiltersDep = Annotated[WarningFilters, Depends(warning_filters)]
