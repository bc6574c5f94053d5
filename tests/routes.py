"""Every route of an app, however the installed FastAPI and Starlette nest them.

Older FastAPIs' `include_router` copied each route into `app.routes`; 0.165 leaves there one
`_IncludedRouter` entry per included router instead, whose routes (with their prefixes) only
`fastapi.routing.iter_route_contexts` unfolds, as FastAPI's own OpenAPI schema does. A test that
filters `app.routes` by type then sees only the app's own routes and checks nothing while
passing: so an entry this walk does not know is an error, never a skip.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Host, Mount, Route, WebSocketRoute

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # a FastAPI that copies included routes into app.routes: nothing to unfold
    iter_route_contexts = None


@dataclass(frozen=True)
class FoundRoute:
    name: str | None
    path: str  # the full path, prefixes of included routers and mounts added
    kind: str  # "api" (an APIRoute: runs FastAPI's dependencies), "http" (a plain Starlette Route:
    # runs none), "websocket" or "mount"
    methods: frozenset[str] = field(default=frozenset(), compare=False)  # GET, POST... (none for a mount)
    html: bool = field(default=False, compare=False)  # declared to answer HTML: a page or a dialog


def walk_routes(app: Starlette) -> list[FoundRoute]:
    """The app's routes and those of every router included or app mounted in it, in order."""
    return list(_walk(app.routes, ""))


def _walk(routes: Sequence[BaseRoute], prefix: str) -> Iterator[FoundRoute]:
    for route in routes:
        if isinstance(route, Host):
            yield from _walk(route.routes, prefix)
        elif isinstance(route, Mount | WebSocketRoute | Route):
            yield from _found(route, route.name, prefix + route.path)
        elif iter_route_contexts is not None and hasattr(route, "original_router"):
            # An included router: its routes, each with the path the app really serves it at.
            for context in iter_route_contexts([route]):
                yield from _found(context.original_route, context.name, prefix + context.path)
        else:
            raise TypeError(f"walk_routes does not know {type(route).__qualname__} ({route!r}): teach it")


def _found(route: Any, name: str | None, path: str) -> Iterator[FoundRoute]:
    if isinstance(route, Mount):  # /static; a mounted app or router also has routes of its own
        yield FoundRoute(name, path, "mount")
        yield from _walk(route.routes, path)
    elif isinstance(route, WebSocketRoute):
        yield FoundRoute(name, path, "websocket")
    elif isinstance(route, Route):
        methods = frozenset(route.methods or ())
        html = isinstance(route, APIRoute) and route.response_class is HTMLResponse
        yield FoundRoute(name, path, "api" if isinstance(route, APIRoute) else "http", methods, html)
    else:
        raise TypeError(f"walk_routes does not know {type(route).__qualname__} ({route!r}): teach it")
