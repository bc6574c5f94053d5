"""Outermost, outside even FastAPI's own layers (its error handler, telemetry and body limit):
a long-lived response (an SSE stream) hands the rest of its life to this layer once its
headers are sent. The request's own stack (every middleware, the router, FastAPI's dependency
exit stacks) then returns and is freed, instead of being held in memory for as long as the
browser stays, and each frame goes straight to the server without passing a wrapper of every
layer."""

from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

DETACHED = "webui.detached"

# What a response does for the rest of its life, with the connection's own receive and send.
Rest = Callable[[Receive, Send], Awaitable[None]]


def detach(scope: Scope, rest: Rest) -> None:
    """Run `rest` once the request's stack has returned (its response has started)."""
    scope[DETACHED].append(rest)


class DetachMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for rest in await self._request(scope, receive, send):
            await rest(receive, send)

    async def _request(self, scope: Scope, receive: Receive, send: Send) -> list[Rest]:
        """The request through the layers below; what it detached. Its own frame (and the
        keys it noted) is gone before a stream's rest runs."""
        own = set(scope)
        rests: list[Rest] = []
        scope[DETACHED] = rests  # the same list in every layer's copy of the scope
        await self.app(scope, receive, send)
        if rests:
            forget_layers(scope, own)
        return rests


def forget_layers(scope: Scope, own: set[str]) -> None:
    """Drop what the layers below put in the scope (FastAPI's exit stacks, the route, the
    request's state: who asked): theirs and done with, while the server keeps the scope for as
    long as the stream. Refilled rather than deleted from, so the dict shrinks to its size."""
    kept = [(key, value) for key, value in scope.items() if key in own]
    scope.clear()
    scope.update(kept)
    scope["state"] = {}


class DetachingFastAPI(FastAPI):
    """FastAPI with DetachMiddleware around its whole stack, its own layers included, so a
    stream holds none of their frames; and inside it `around_errors`, a layer around FastAPI's
    own error handler (the outermost of its stack, whose 500 no added middleware sees)."""

    around_errors: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return DetachMiddleware(self.around_errors(stack) if self.around_errors else stack)
