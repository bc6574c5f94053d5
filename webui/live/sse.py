"""The SSE response of one browser: the frames its hub subscriber receives, sent as they come.

sse-starlette's EventSourceResponse runs four tasks per stream (the generator, a ping timer,
a shutdown watcher and a disconnect listener) and an anyio cancel scope around every send:
about a third of the dashboard's memory with 1,000 streams open. Here a stream is the
request's own task plus one that waits for the browser to go, and once its headers are sent
it leaves the request's stack of middleware and routing (`webui.middleware.detach`).
Heartbeats and the shutdown signal are the hub's, once for every stream (`Hub.run`), and so
is the end of a send that waits too long on a browser that stopped reading: a timer around
every send cost a quarter of the time spent sending.
"""

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from contextvars import ContextVar

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from webui.live.hub import Hub
from webui.live.mailbox import Subscriber
from webui.middleware.detach import detach

# The browser's reconnection delay (SSE `retry`), drawn per stream: when a dashboard restarts,
# its hundreds of open pages and wall displays come back spread over these seconds, not at once.
RETRY_MS = (1000, 6000)
# Every stream's headers, the same pairs for all (the layers add theirs to each list).
HEADERS = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
)


# A stream the hub ended while a send waited on its browser cannot finish its response, and
# uvicorn then logs "ASGI callable returned without completing response." at ERROR: for a
# browser that stopped reading, which the hub has logged already, with why, at INFO.
_ENDED_MID_SEND: ContextVar[bool] = ContextVar("ended_mid_send", default=False)


class EndedMidSend(logging.Filter):
    """For uvicorn's error log: leaves out that line for the stream whose task ends so."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_ENDED_MID_SEND.get() and record.getMessage().startswith("ASGI callable returned without"))


def retry_frame() -> bytes:
    return f"retry: {random.randint(*RETRY_MS)}\n\n".encode()


class SubscriberResponse(Response):
    def __init__(self, hubs: Sequence[Hub], subscriber: Subscriber, first: list[bytes]) -> None:
        self.status_code = 200
        self.background = None
        # No body: no Content-Length, so the server sends it chunked for as long as it lasts.
        self.raw_headers = list(HEADERS)
        self.hubs = hubs  # the one whose frames it sends, or each of a wall's several clusters
        self.subscriber = subscriber
        self.first = first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The headers go through the middleware (theirs added, the route timed); the frames
        # are sent by the outermost layer once the request's stack has returned.
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        detach(scope, self.stream)

    async def stream(self, receive: Receive, send: Send) -> None:
        subscriber = self.subscriber
        subscriber.task = asyncio.current_task()
        gone = asyncio.create_task(self._until_disconnect(receive))
        try:
            await self._send_frames(send, b"".join([retry_frame(), *self.first]))
            self.first = []  # a whole page, kept no longer than it takes to send
            while (frames := await subscriber.take()) is not None:
                await self._send_frames(send, frames)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not subscriber.ended:
                raise
            # The hub ended the stream (and logged why) while a send waited on its browser.
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
            _ENDED_MID_SEND.set(True)
        finally:
            gone.cancel()
            for hub in self.hubs:
                hub.unsubscribe(subscriber)

    async def _until_disconnect(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        for hub in self.hubs:
            hub.end(self.subscriber)

    async def _send_frames(self, send: Send, frames: bytes) -> None:
        self.subscriber.sending_since = time.monotonic()  # the hub's heartbeat checks it
        await send({"type": "http.response.body", "body": frames, "more_body": True})
        self.subscriber.sending_since = None
