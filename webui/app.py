"""create_app(settings): the routers, the templates, the middleware, and the long-lived objects
in lifespan state: one Incus client, one hub, one watcher, one database engine, one audit log."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from webui import __version__, db, filters
from webui.audit.log import AuditLog
from webui.audit.models import AuditRecord
from webui.auth.middleware import AuthMiddleware
from webui.auth.roles import can
from webui.bodylimit import BodyLimitMiddleware
from webui.certificates import cluster_certificate
from webui.csrf import CSRFMiddleware
from webui.history import recorder
from webui.incus.client import IncusClient
from webui.incus.models import Event, Operation
from webui.live.hub import Hub
from webui.live.watcher import Watcher
from webui.member_actions import available_actions
from webui.routes import (
    admin,
    api,
    audit,
    auth,
    cluster,
    health,
    history,
    member_actions,
    members,
    noc,
    operations,
    server_api,
    stream,
)
from webui.routes.deps import authorize
from webui.routes.errors import install_error_handlers
from webui.security import SecurityHeadersMiddleware
from webui.settings import Settings
from webui.upgrades import upgrade_status

HERE = Path(__file__).resolve().parent


def make_templates(app: FastAPI) -> Jinja2Templates:
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

    templates.env.globals.update(url=url, available_actions=available_actions, can=can)
    templates.env.globals.update(upgrade_status=upgrade_status, cluster_certificate=cluster_certificate)
    return templates


def audit_outcomes(audit_log: AuditLog) -> Any:
    """A watcher event handler: the real outcome of operations the dashboard started."""

    async def record(event: Event) -> None:
        if event.type == "operation":
            operation = Operation.model_validate(event.metadata)
            if operation.finished:
                await anyio.to_thread.run_sync(audit_log.operation_finished, operation)

    return record


def create_app(settings: Settings) -> FastAPI:
    connection = settings.connection()  # fails early, with a sentence, when nothing is configured
    engine = db.make_engine(settings.database_url)
    if db.pending_migrations(engine):
        raise SystemExit(
            f"the database at {settings.database_url} is not migrated: run `incus-webui db upgrade`"
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        templates = make_templates(app)
        client = IncusClient(connection)
        hub = Hub(lambda name, context: templates.get_template(name).render(context), settings.queue_size)
        loop = asyncio.get_running_loop()

        def publish(record: AuditRecord) -> None:  # audit records are written in worker threads
            loop.call_soon_threadsafe(hub.publish_audit, record)

        audit_log = AuditLog(engine, on_append=publish)
        watcher = Watcher(
            client,
            hub,
            poll_interval=settings.poll_interval,
            state_interval=settings.state_interval,
            on_event=[recorder(engine), audit_outcomes(audit_log)],
        )
        watcher.start()
        clock = asyncio.create_task(hub.run(settings.heartbeat))
        # Everything imported and built so far lives as long as the process: move it out of
        # the garbage collector's sight. Otherwise each full collection walks it all again
        # (140-250 ms pauses with 1,000 streams open, each one a late frame for everyone).
        gc.freeze()
        try:
            yield {
                "settings": settings,
                "templates": templates,
                "client": client,
                "hub": hub,
                "watcher": watcher,
                "engine": engine,
                "audit": audit_log,
            }
        finally:
            clock.cancel()
            hub.close()
            await watcher.stop()
            await client.aclose()
            engine.dispose()

    app = FastAPI(
        title="incus-webui",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(authorize)],
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    routers = (auth, members, member_actions, history, audit, admin, cluster, server_api, operations, noc, stream, api)
    for module in (*routers, health):
        app.include_router(module.router)

    @app.get("/docs", include_in_schema=False, name="docs")
    async def docs() -> HTMLResponse:
        """The API docs with the vendored Swagger UI (no CDN)."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="incus-webui API",
            swagger_js_url=app.url_path_for("static", path="vendor/swagger-ui-bundle-5.35.0.js"),
            swagger_css_url=app.url_path_for("static", path="vendor/swagger-ui-5.35.0.css"),
            swagger_favicon_url=app.url_path_for("static", path="favicon.svg"),
        )

    install_error_handlers(app)
    # Outermost last: the body limit refuses before anything reads; then security headers
    # on everything, then CSRF, then who is asking.
    app.add_middleware(AuthMiddleware, engine=engine, settings=settings)
    app.add_middleware(CSRFMiddleware, secure_cookie=settings.secure_cookies)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    return app
