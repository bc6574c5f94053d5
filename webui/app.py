"""create_app(settings): the routers, the templates, the middleware, and the long-lived objects
in lifespan state: one Incus client, one hub, one watcher, one database engine, one audit log."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from webui import __version__, db, filters, middleware
from webui.audit.keys import KeyMissing
from webui.audit.refusals import fold_every
from webui.auth import store
from webui.auth.roles import can
from webui.incus.client import IncusClient
from webui.live.hub import Hub
from webui.live.trends import Trends
from webui.live.watcher import Watcher
from webui.member_charts import MemberCharts
from webui.member_rows import MemberRows
from webui.metrics import Metrics
from webui.middleware.detach import DetachingFastAPI
from webui.routes import (
    admin,
    audit,
    auth,
    cluster,
    groups,
    health,
    history,
    joining,
    maintenance,
    member_dialogs,
    members,
    noc,
    operations,
    rolling_upgrade,
    stream,
    warnings,
)
from webui.routes.api import groups as api_groups
from webui.routes.api import maintenance as api_maintenance
from webui.routes.api import members as api_members
from webui.routes.api import operations as api_operations
from webui.routes.api import server as api_server
from webui.routes.api import warnings as api_warnings
from webui.routes.deps import authorize, checked_names
from webui.routes.errors import install_error_handlers
from webui.services.activity.history import recorder
from webui.services.activity.operations import outcome_recorder, reconcile_logged
from webui.services.activity.recent import Recent
from webui.services.configuration.keys import HEALING_WARNING
from webui.services.configuration.pinning import certificate_follower, pin_source
from webui.services.configuration.secrets import Secrets
from webui.services.context import Context
from webui.services.maintenance.healing import Fencing, Healing
from webui.services.maintenance.runs import MaintenanceRun, step_words
from webui.services.maintenance.tracker import MaintenanceTracker
from webui.services.members.metrics import COLUMNS, DEFAULT_COLUMNS, member_panels, row_metrics
from webui.services.upgrade.driver import Driver
from webui.services.upgrade.status import member_version
from webui.settings import Settings
from webui.views import Views
from webui.views.audit import show_record

if TYPE_CHECKING:
    from webui.live.leadership import Leadership

HERE = Path(__file__).resolve().parent
# The routers of the pages, in the order they are matched.
PAGES = (
    auth, members, member_dialogs, history, maintenance, rolling_upgrade, audit, admin, cluster, groups, joining,
    operations, noc, stream, health, warnings,
)


def make_templates(app: FastAPI, trends: Trends | None = None, secrets: Secrets = Secrets()) -> Jinja2Templates:
    """The templates, with `trends` (the watcher's samples) for the member table and charts,
    and `secrets` (what is secret) for the pages that hide values."""
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
        return path(route, tuple(sorted(params.items())))

    templates.env.globals.update(url=url, can=can)
    templates.env.globals.update(member_version=member_version)
    templates.env.filters["is_secret"] = secrets.is_secret
    templates.env.globals.update(step_words=step_words, healing_warning=HEALING_WARNING)
    trends = trends or Trends()
    templates.env.globals.update(trends=trends, row_metrics=row_metrics, member_panels=member_panels)
    templates.env.globals.update(member_rows=MemberRows(templates.env, trends))
    templates.env.globals.update(member_charts=MemberCharts(templates.env, trends))
    templates.env.globals.update(member_columns=COLUMNS, default_columns=DEFAULT_COLUMNS)
    return templates


def watch(
    settings: Settings, dialect: str, hub: Hub, watcher: Watcher, tracker: MaintenanceTracker
) -> "Leadership | None":
    """Start watching Incus: at once with SQLite (one host); with PostgreSQL, the Leadership
    that makes this process watch only while it is the elected one (None with SQLite)."""
    if dialect != "postgresql":
        watcher.start()
        return None
    # Imported here: they need psycopg, which only the postgres extra installs.
    from webui.live.leadership import Leadership
    from webui.live.relay import SnapshotCodec, conninfo

    def lead() -> None:
        tracker.adopt(hub.snapshot.maintenance)
        watcher.start()

    codec = SnapshotCodec({"maintenance": tuple[MaintenanceRun, ...]})
    return Leadership(conninfo(settings.database_url), hub, codec, watcher.trends, lead, watcher.stop)


def create_app(settings: Settings) -> FastAPI:
    connection = settings.connection()  # fails early, with a sentence, when nothing is configured
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
        trends = Trends(settings.state_interval)
        recent = Recent(timedelta(seconds=settings.recent_seconds))
        views = Views(recent)
        templates = make_templates(app, trends, secrets)
        client = IncusClient(connection)
        client.transport.pin_source = pin_source(engine, connection)
        idle = timedelta(minutes=settings.session_idle_minutes)
        hub = Hub(
            lambda name, context: templates.get_template(name).render(context),
            settings.queue_size,
            settings.max_streams_per_identity,
            check=lambda credentials: store.ended(engine, credentials, idle),
            send_timeout=settings.send_timeout,
            max_streams=settings.max_streams,
            expires=recent.expires,
            pages=views.pages(),
        )
        # Audit records are written in worker threads; the live audit page hears of each.
        loop = asyncio.get_running_loop()
        audit_log.on_append.append(lambda record: loop.call_soon_threadsafe(show_record, hub, record))
        tracker = MaintenanceTracker(hub, client, engine, audit_log)
        fencing = Fencing(settings.healed_hook, settings.healed_hook_timeout, settings.healed_webhook)
        healing = Healing(hub, engine, audit_log, fencing)
        watcher = Watcher(
            client,
            hub,
            poll_interval=settings.poll_interval,
            state_interval=settings.state_interval,
            trends=trends,
            budget=settings.state_budget,
            on_event=[recorder(engine), tracker.on_event, healing.on_event, certificate_follower(client, engine)],
            on_operation=[outcome_recorder(audit_log), tracker.on_operation],
            on_sync=[tracker.on_sync, healing.on_sync],
        )
        leadership = watch(settings, engine.dialect.name, hub, watcher, tracker)
        def leading() -> bool:
            return leadership is None or leadership.leading

        metrics.watch(hub, client.transport, audit_log, leading)
        electing = asyncio.create_task(leadership.run()) if leadership else None
        # Operations that ended while no dashboard ran: their outcome, from Incus, once.
        reconciling = asyncio.create_task(reconcile_logged(audit_log, client))
        clock = asyncio.create_task(hub.run(settings.heartbeat))
        # A failure acknowledged through another dashboard process leaves the wall display.
        acknowledging = asyncio.create_task(tracker.follow_acknowledgements(leading, settings.poll_interval))
        folding = asyncio.create_task(fold_every(audit_log))  # refused anonymous requests, a minute's at a time
        services = Context(hub, client, watcher, audit_log, engine, secrets)
        guide = asyncio.create_task(Driver(services, settings.poll_interval).run())
        # Everything imported and built so far lives as long as the process: move it out of
        # the garbage collector's sight. Otherwise each full collection walks it all again
        # (140-250 ms pauses with 1,000 streams open, each one a late frame for everyone).
        gc.freeze()
        try:
            yield {
                "settings": settings,
                "templates": templates,
                "views": views,
                "hub": hub,
                "engine": engine,
                "audit": audit_log,
                "metrics": metrics,
                "services": services,
                "secrets": secrets,
            }
        finally:
            guide.cancel()
            clock.cancel()
            acknowledging.cancel()
            folding.cancel()
            if electing:
                electing.cancel()
                await asyncio.gather(electing, return_exceptions=True)
            reconciling.cancel()
            hub.close()
            await watcher.stop()
            await client.aclose()
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
    for module in (*PAGES, api_members, api_groups, api_operations, api_server, api_maintenance, api_warnings):
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
