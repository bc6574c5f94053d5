"""The SSE response of one browser: the frames its hub subscriber receives, sent as they come.

sse-starlette's EventSourceResponse runs four tasks per stream (the generator, a ping timer,
a shutdown watcher and a disconnect listener) and an anyio cancel scope around every send:
about a third of the dashboard's memory with 1,000 streams open. Here a stream is the
request's own task plus one that waits for the browser to go; heartbeats and the shutdown
signal are the hub's, once for every stream (`Hub.run`).
"""

import asyncio
import logging
import random

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from webui.live.hub import Hub, Subscriber

log = logging.getLogger(__name__)

# The browser's reconnection delay (SSE `retry`), drawn per stream: when a dashboard restarts,
# its hundreds of open pages and wall displays come back spread over these seconds, not at once.
RETRY_MS = (1000, 6000)


def retry_frame() -> bytes:
    return f"retry: {random.randint(*RETRY_MS)}\n\n".encode()


class SubscriberResponse(Response):
    media_type = "text/event-stream"

    def __init__(self, hub: Hub, subscriber: Subscriber, first: list[bytes], send_timeout: float) -> None:
        self.status_code = 200
        self.background = None
        # No body: no Content-Length, so the server sends it chunked for as long as it lasts.
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self.hub = hub
        self.subscriber = subscriber
        self.first = first
        self.send_timeout = send_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.create_task(self._until_disconnect(receive))
        try:
            await self._send(send, {"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._send_frame(send, retry_frame())
            for missed in self.first:
                await self._send_frame(send, missed)
            while (frame := await self.subscriber.queue.get()) is not None:
                await self._send_frame(send, frame)
            await self._send(send, {"type": "http.response.body", "body": b"", "more_body": False})
        except TimeoutError:
            # A browser that stopped reading: its send blocked on a full socket buffer.
            log.info("ending an SSE stream whose client stopped reading")
        finally:
            gone.cancel()
            self.hub.unsubscribe(self.subscriber)

    async def _until_disconnect(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.hub.end(self.subscriber)

    async def _send_frame(self, send: Send, frame: bytes) -> None:
        await self._send(send, {"type": "http.response.body", "body": frame, "more_body": True})

    async def _send(self, send: Send, message: dict[str, object]) -> None:
        async with asyncio.timeout(self.send_timeout):
            await send(message)
