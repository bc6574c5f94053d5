"""tests/routes.py: the walk the route-permission test relies on, on a small app of every kind."""

import pytest
from fastapi import APIRouter, FastAPI, WebSocket
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute

from tests.routes import FoundRoute, walk_routes


async def plain(request: Request) -> PlainTextResponse:
    return PlainTextResponse("plain")


def nested_app(tmp_path) -> FastAPI:
    inner = APIRouter(prefix="/inner")

    @inner.get("/leaf", name="leaf")
    async def leaf() -> str:
        return "leaf"

    @inner.websocket("/socket", name="socket")
    async def socket(websocket: WebSocket) -> None:
        await websocket.close()

    inner.add_route("/plain", plain, name="inner_plain")
    inner.mount("/files", StaticFiles(directory=tmp_path), name="inner_files")

    outer = APIRouter(prefix="/outer")

    @outer.post("/branch", name="branch")
    async def branch() -> str:
        return "branch"

    outer.include_router(inner, prefix="/more")

    mounted = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @mounted.get("/deep", name="deep")
    async def deep() -> str:
        return "deep"

    app = FastAPI()  # with FastAPI's own /openapi.json and /docs: plain Starlette routes
    app.include_router(outer, prefix="/top")
    app.add_route("/plain", plain, name="plain")
    app.mount("/static", StaticFiles(directory=tmp_path), name="static")
    app.mount("/sub", mounted, name="sub")
    return app


def test_it_finds_routes_of_routers_included_in_included_routers(tmp_path):
    found = walk_routes(nested_app(tmp_path))
    assert FoundRoute("branch", "/top/outer/branch", "api") in found
    assert FoundRoute("leaf", "/top/outer/more/inner/leaf", "api") in found
    assert FoundRoute("socket", "/top/outer/more/inner/socket", "websocket") in found
    # An APIRouter's own prefix is not given to its add_route and mount (served where they say).
    assert FoundRoute("inner_plain", "/top/outer/more/plain", "http") in found
    assert FoundRoute("inner_files", "/top/outer/more/files", "mount") in found


def test_it_finds_plain_starlette_routes_and_mounts(tmp_path):
    found = walk_routes(nested_app(tmp_path))
    assert FoundRoute("openapi", "/openapi.json", "http") in found
    assert FoundRoute("swagger_ui_html", "/docs", "http") in found
    assert FoundRoute("plain", "/plain", "http") in found
    assert FoundRoute("static", "/static", "mount") in found
    assert FoundRoute("sub", "/sub", "mount") in found
    assert FoundRoute("deep", "/sub/deep", "api") in found


def test_it_finds_each_route_once(tmp_path):
    found = walk_routes(nested_app(tmp_path))
    assert len(found) == len(set(found))


def test_an_entry_it_does_not_know_is_an_error_not_a_skip():
    class Strange(BaseRoute):
        pass

    app = FastAPI()
    app.router.routes.append(Strange())
    with pytest.raises(TypeError, match="Strange"):
        walk_routes(app)
