"""Outermost: a long-lived response (an SSE stream) hands the rest of its life to this layer
once its headers are sent. The request's own stack (every middleware below, the router,
FastAPI's dependency exit stacks) then returns and is freed, instead of being held in memory
for as long as the browser stays (12 KiB of a stream's 29 in Python objects), and each
frame goes straight to the server without passing a wrapper of every layer."""

from collections.abc import Awaitable, Callable

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
        own = set(scope)
        rests: list[Rest] = []
        scope[DETACHED] = rests  # the same list in every layer's copy of the scope
        await self.app(scope, receive, send)
        if rests:
            # What the layers below put in the scope (FastAPI's exit stacks, the route, the
            # request's state: who asked) is theirs and done with; the server keeps the scope
            # for as long as the stream.
            for key in set(scope) - own:
                del scope[key]
            scope["state"] = {}
        for rest in rests:
            await rest(receive, send)
