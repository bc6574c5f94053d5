"""Several clusters, one set of routes: `/clusters/NAME/…` is NAME's page `/…`, and
`/api/v1/clusters/NAME/…` its API `/api/v1/…`. The rest of the path is served as for one
cluster, with NAME's hub, templates and services in the request's state (webui/clusters.py);
the paths without a cluster are the first cluster's. With several, `/` is the overview."""

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

# The prefix a cluster's paths start with, and where the rest goes.
PREFIXES = (("/api/v1/clusters/", "/api/v1/"), ("/clusters/", "/"))
OVERVIEW = "/clusters"


def pages_of(cluster: str) -> str:
    """Where a cluster's pages are: the one place the scheme of these paths is written."""
    return f"{OVERVIEW}/{cluster}"


class ClusterPathsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (clusters := scope.get("state", {}).get("clusters")):
            scope = routed(scope, clusters)
        await self.app(scope, receive, send)


def routed(scope: Scope, clusters: dict[str, Any]) -> Scope:
    """The request as the routes of one cluster see it (unchanged when it names none)."""
    path: str = scope["path"]
    if path == "/" and len(clusters) > 1:
        return {**scope, "path": OVERVIEW}
    for prefix, base in PREFIXES:
        if path.startswith(prefix):
            name, _, rest = path.removeprefix(prefix).partition("/")
            if name in clusters:
                state = {**scope["state"], **clusters[name].state()}
                # The API's root is /api/v1 without a slash: one added would be redirected
                # to the unprefixed path, the first cluster's.
                inner = base + rest if rest or base == "/" else base.rstrip("/")
                return {**scope, "path": inner, "state": state}
    return scope
