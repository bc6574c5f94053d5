"""How long each route takes to start answering, for /metrics (pure ASGI, outermost).

Labelled by the route's name, never the raw path (one label per route, not per member or
token). Observed once, when the response starts: an SSE stream costs one observation, not one
per frame, and its long life is not counted as latency."""

import time

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class TimingMiddleware:
    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = scope.get("route")  # set by the router once it matched
                self.histogram.labels(getattr(route, "name", None) or "unmatched").observe(
                    time.perf_counter() - started
                )
            await send(message)

        await self.app(scope, receive, timed_send)
