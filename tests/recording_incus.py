"""A real Incus behind a recorder: a relay on a unix socket of its own, in front of one member's
unix socket, that notes every request as it arrives (method and raw path, before anything
normalises it) and passes it on unchanged. A dashboard given this socket talks to the real
cluster, and a test can say exactly what Incus was asked."""

import asyncio
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
import websockets
from starlette.types import Receive, Scope, Send


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as sent, percent-encoding and all
    query: str


class RecordingIncus:
    def __init__(self, upstream: Path, socket: Path) -> None:
        self.upstream = upstream
        self.socket = socket
        self.requests: list[Request] = []
        self._server = uvicorn.Server(
            uvicorn.Config(self, uds=str(socket), lifespan="off", log_level="warning", ws="websockets-sansio")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> "RecordingIncus":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("the recording relay did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def since(self, mark: int) -> list[Request]:
        return self.requests[mark:]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope["raw_path"].decode("latin-1")
        query = scope["query_string"].decode("latin-1")
        if scope["type"] == "websocket":
            self.requests.append(Request("WEBSOCKET", raw, query))
            await self._relay_websocket(raw, query, receive, send)
            return
        self.requests.append(Request(scope["method"], raw, query))
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (b"host", b"content-length")]
        transport = httpx.AsyncHTTPTransport(uds=str(self.upstream))
        async with httpx.AsyncClient(transport=transport, timeout=120) as client:
            request = client.build_request(scope["method"], "http://incus/", headers=headers, content=body)
            request.url = request.url.copy_with(raw_path=(raw + (f"?{query}" if query else "")).encode())
            reply = await client.send(request)
        # httpx has decoded the body already: its length and encoding headers no longer hold.
        dropped = (b"content-length", b"transfer-encoding", b"content-encoding")
        headers = [(k, v) for k, v in reply.headers.raw if k.lower() not in dropped]
        await send({"type": "http.response.start", "status": reply.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": reply.content})

    async def _relay_websocket(self, raw: str, query: str, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        uri = "ws://incus" + raw + (f"?{query}" if query else "")
        async with websockets.unix_connect(str(self.upstream), uri=uri, max_size=None) as upstream:
            await send({"type": "websocket.accept"})

            async def down() -> None:
                async for message in upstream:
                    key = "text" if isinstance(message, str) else "bytes"
                    await send({"type": "websocket.send", key: message})

            async def up() -> None:
                while (message := await receive())["type"] == "websocket.receive":
                    await upstream.send(message.get("text") or message.get("bytes") or "")

            tasks = [asyncio.ensure_future(down()), asyncio.ensure_future(up())]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
