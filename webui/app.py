"""create_app(settings): the routers, the templates, and the long-lived objects in lifespan
state: one Incus client, one hub, one watcher, one database engine."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from webui import __version__, db, filters
from webui.bodylimit import BodyLimitMiddleware
from webui.csrf import CSRFMiddleware
from webui.history import recorder
from webui.incus.client import IncusClient
from webui.live.hub import Hub
from webui.live.watcher import Watcher
from webui.member_actions import available_actions
from webui.routes import api, health, history, member_actions, members, stream
from webui.routes.errors import install_error_handlers
from webui.settings import Settings

HERE = Path(__file__).resolve().parent


def make_templates(app: FastAPI) -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    filters.register(templates.env)
    # Paths come from the routes, for pages and for fragments the hub renders without a request.
    def url(route: str, /, **params: object) -> str:
        return app.url_path_for(route, **params)

    templates.env.globals["url"] = url
    templates.env.globals["available_actions"] = available_actions
    return templates


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
        watcher = Watcher(
            client,
            hub,
            poll_interval=settings.poll_interval,
            state_interval=settings.state_interval,
            on_event=[recorder(engine)],
        )
        watcher.start()
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
            }
        finally:
            hub.close()
            await watcher.stop()
            await client.aclose()
            engine.dispose()

    app = FastAPI(title="incus-webui", version=__version__, lifespan=lifespan)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (members, member_actions, history, stream, api, health):
        app.include_router(module.router)
    install_error_handlers(app)
    app.add_middleware(CSRFMiddleware)
    app.add_middleware(BodyLimitMiddleware)  # outermost: refuses before anything reads
    return app
