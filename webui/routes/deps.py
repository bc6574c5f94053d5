"""Dependencies written once: the long-lived objects of lifespan state, and the page renderer."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from webui.incus.client import IncusClient
from webui.live.hub import Hub
from webui.live.watcher import Watcher
from webui.settings import Settings


def _state(name: str) -> Any:
    def get(request: Request) -> Any:
        return getattr(request.state, name)

    return Depends(get)


HubDep = Annotated[Hub, _state("hub")]
IncusDep = Annotated[IncusClient, _state("client")]
SettingsDep = Annotated[Settings, _state("settings")]
EngineDep = Annotated[Engine, _state("engine")]
TemplatesDep = Annotated[Jinja2Templates, _state("templates")]
WatcherDep = Annotated[Watcher, _state("watcher")]


def render_page(
    request: Request,
    template: str,
    topics: list[str],
    status_code: int = 200,
    stream_params: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A full page from the hub's snapshot, with its one SSE stream for `topics`.

    The stream URL carries the snapshot version the page shows, so the stream can tell
    whether the page missed an update before it connected."""
    hub: Hub = request.state.hub
    snapshot = hub.snapshot
    # stream_params: what else the stream needs (a wall display's token, which opens it too).
    query = urlencode({"topic": topics, "v": snapshot.version, **(stream_params or {})}, doseq=True)
    stream_url = request.app.url_path_for("stream") + "?" + query
    templates: Jinja2Templates = request.state.templates
    return templates.TemplateResponse(
        request,
        template,
        {"snapshot": snapshot, "stream_url": stream_url, "csrf_token": request.state.csrf_token, **context},
        status_code=status_code,
    )


def render_fragment(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A partial (a dialog, a form shown again with its errors) from the hub's snapshot."""
    templates: Jinja2Templates = request.state.templates
    hub: Hub = request.state.hub
    return templates.TemplateResponse(request, template, {"snapshot": hub.snapshot, **context}, status_code=status_code)
