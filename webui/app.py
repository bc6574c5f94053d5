"""create_app(settings): the routers, the templates, the middleware, and the long-lived objects
in lifespan state: the watched cluster (webui/clusters.py: its client, hub, watcher...), one
database engine, one audit log."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from webui import __version__, db, filters, middleware
from webui.audit.keys import KeyMissing
from webui.audit.refusals import fold_every
from webui.auth.oidc import Provider
from webui.auth.roles import can
from webui.clusters import MakeTemplates, Place, WatchedCluster
from webui.live.trends import Trends
from webui.member_charts import MemberCharts
from webui.member_rows import MemberRows
from webui.metrics import Metrics
from webui.middleware.detach import DetachingFastAPI
from webui.routes import (
    admin,
    audit,
    auth,
    cluster,
    clusters,
    groups,
    hardware,
    health,
    history,
    instances,
    joining,
    maintenance,
    member_dialogs,
    members,
    noc,
    oidc,
    operations,
    rolling_upgrade,
    second_factor,
    stream,
    warnings,
)
from webui.routes.api import clusters as api_clusters
from webui.routes.api import groups as api_groups
from webui.routes.api import maintenance as api_maintenance
from webui.routes.api import members as api_members
from webui.routes.api import operations as api_operations
from webui.routes.api import server as api_server
from webui.routes.api import warnings as api_warnings
from webui.routes.deps import authorize, checked_names
from webui.routes.errors import install_error_handlers
from webui.services.accounts.oidc import keep_roles_current
from webui.services.configuration.keys import HEALING_WARNING
from webui.services.configuration.secrets import Secrets
from webui.services.maintenance.runs import step_words
from webui.services.members.metrics import COLUMNS, DEFAULT_COLUMNS, member_panels, row_metrics
from webui.services.upgrade.status import member_version
from webui.settings import Settings

HERE = Path(__file__).resolve().parent
# Allocations between young collections (Python's default is 700). The clusters' snapshots
# (130,000 objects with 10 clusters of 100 members) are replaced every few seconds but outlived
# 700 allocations and were promoted: a full collection ran every 16 s, pausing every stream
# 40-220 ms. With 10,000 (and webui/member_rows.py's macros built once): 2 in 3 minutes, of 26
# and 47 ms, and the change-to-stream p99 from 124-139 ms to 36-71 ms (bench/notes/2026-12-07.md).
YOUNG_GENERATION = 10_000
# The routers of the pages, in the order they are matched.
PAGES = (
    auth, second_factor, oidc, clusters, members, member_dialogs, hardware, history, maintenance, rolling_upgrade,
    audit, admin, cluster, groups, joining, operations, noc, stream, health, instances, warnings,
)


def make_templates(
    app: FastAPI, trends: Trends | None = None, secrets: Secrets = Secrets(), place: Place = Place()
) -> Jinja2Templates:
    """The templates of one cluster's pages, with `trends` (the watcher's samples) for the
    member table and charts, `secrets` (what is secret) for the pages that hide values, and
    `place` (the cluster's name, where its pages live, the other clusters) for every link."""
    templates = Jinja2Templates(directory=HERE / "templates")
    # The templates ship with the package: no need to stat every file on every render.
    templates.env.auto_reload = False
    filters.register(templates.env)

    # Paths come from the routes, for pages and for fragments the hub renders without a request.
    # Looking one up walks every route (two fifths of the member table's render time), and the
    # answer never changes: remembered per route and parameters.
    @lru_cache(maxsize=4096)
    def path(route: str, params: tuple[tuple[str, object], ...]) -> str:
        return app.url_path_for(route, **dict(params))

    def url(route: str, /, **params: object) -> str:
        found = path(route, tuple(sorted(params.items())))
        return found if route == "static" else place.prefix + found

    templates.env.globals.update(url=url, can=can, place=place)
    templates.env.globals.update(member_version=member_version)
    templates.env.filters["is_secret"] = secrets.is_secret
    templates.env.globals.update(step_words=step_words, healing_warning=HEALING_WARNING)
    trends = trends or Trends()
    templates.env.globals.update(trends=trends, row_metrics=row_metrics, member_panels=member_panels)
    templates.env.globals.update(member_rows=MemberRows(templates.env, trends))
    templates.env.globals.update(member_charts=MemberCharts(templates.env, trends))
    templates.env.globals.update(member_columns=COLUMNS, default_columns=DEFAULT_COLUMNS)
    return templates


def oidc_provider(settings: Settings) -> Provider | None:
    """The OpenID provider the settings name, if any; ValueError with a sentence when the
    settings cannot sign anyone in."""
    if not settings.oidc_issuer:
        return None
    if not settings.oidc_client_id:
        raise ValueError("oidc_issuer is set but oidc_client_id is not: give the client id registered at the provider")
    if "openid" not in settings.oidc_scopes.split():
        raise ValueError(f"oidc_scopes must include openid (it is {settings.oidc_scopes!r})")
    secret = settings.oidc_secret()
    if not secret:  # the dashboard is a confidential client, as Grafana and Argo CD are
        raise ValueError("oidc_issuer is set but no client secret: set oidc_client_secret or oidc_client_secret_file")
    return Provider(
        settings.oidc_issuer, settings.oidc_client_id, secret, settings.oidc_scopes, settings.oidc_groups_claim
    )


def create_app(settings: Settings) -> FastAPI:
    watched = settings.watched()  # fails early, with a sentence, when nothing is configured
    provider = oidc_provider(settings)  # the same, for OIDC settings that cannot work
    engine = db.make_engine(settings.database_url)
    if db.pending_migrations(engine):
        raise SystemExit(
            f"the database at {settings.database_url} is not migrated: run `incus-webui db upgrade`"
        )
    try:
        audit_log = settings.audit_log(engine)
    except KeyMissing as exc:
        raise SystemExit(str(exc)) from exc

    metrics = Metrics()
    secrets = Secrets.of(settings.secret_keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        names = tuple(name for name, _ in watched)

        def templates_at(place: Place) -> MakeTemplates:
            return lambda trends: make_templates(app, trends, secrets, place)

        held = {
            name: WatchedCluster(
                name, settings, connection, engine, audit_log, secrets, templates_at(Place.of(name, names))
            )
            for name, connection in watched
        }
        first = held[names[0]]  # what the single-cluster URLs mean
        await asyncio.to_thread(db.adopt_unnamed_rows, engine, first.name)
        for watching in held.values():
            watching.start()
        metrics.watch(held, audit_log)
        # Signed-in users' groups, checked again at the provider every oidc_refresh minutes.
        regrouping = asyncio.create_task(keep_roles_current(first.context, settings, provider)) if provider else None
        folding = asyncio.create_task(fold_every(audit_log))  # refused anonymous requests, a minute's at a time
        # Everything imported and built so far lives as long as the process: move it out of
        # the garbage collector's sight. Otherwise each full collection walks it all again
        # (140-250 ms pauses with 1,000 streams open, each one a late frame for everyone).
        gc.freeze()
        gc.set_threshold(YOUNG_GENERATION, *gc.get_threshold()[1:])  # what comes after is short-lived
        try:
            yield {
                "settings": settings,
                "engine": engine,
                "audit": audit_log,
                "metrics": metrics,
                "secrets": secrets,
                "clusters": held,
                "oidc": provider,
                **first.state(),
            }
        finally:
            if regrouping:
                regrouping.cancel()
            folding.cancel()
            await asyncio.gather(*(watching.stop() for watching in held.values()))
            engine.dispose()

    app = DetachingFastAPI(
        title="incus-webui",
        version=__version__,
        lifespan=lifespan,
        # FastAPI's own /openapi.json and /docs are plain routes, where the authorization
        # dependency below never runs: both are served as checked routes instead.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(checked_names), Depends(authorize)],
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (
        *PAGES, api_clusters, api_members, api_groups, api_operations, api_server, api_maintenance, api_warnings,
    ):
        app.include_router(module.router)

    @app.get("/openapi.json", include_in_schema=False, name="openapi")
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, name="docs")
    async def docs() -> HTMLResponse:
        """The API docs with the vendored Swagger UI (no CDN)."""
        return get_swagger_ui_html(
            openapi_url=app.url_path_for("openapi"),
            title="incus-webui API",
            swagger_js_url=app.url_path_for("static", path="vendor/swagger-ui-bundle-5.35.0.js"),
            swagger_css_url=app.url_path_for("static", path="vendor/swagger-ui-5.35.0.css"),
            swagger_favicon_url=app.url_path_for("static", path="favicon.svg"),
        )

    install_error_handlers(app)
    middleware.install(app, engine, settings, metrics.request_seconds)
    return app
