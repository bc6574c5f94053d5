"""A process holding many SSE streams (`/stream?topic=members`), as that many browsers would.

Run by the fan-out and soak benchmarks, several at once so the clients do not compete for
one core. It prints `ready` once every stream has its first full refresh, then notes when
each stream first sees each marker (`bench-<run>-<n>`, a member description set with the
incus CLI), and which frames (event, id) it sees twice. FROZEN more streams connect and then
never read again, as a browser tab whose machine froze would (their socket buffers fill and
the dashboard must not wait for them). A connection refused or reset is made again after
the reconnection time, as EventSource does, and noted. Commands on stdin: `storm` drops every
reading stream and reconnects them all at once, without a Last-Event-ID (as after a dashboard
restart: each gets the whole page again), then prints one JSON line (seconds until each had
its refresh, the statuses answered, the reconnections); at end of input it prints one JSON
line with what it saw and exits.

    python -m bench.sse_clients URL COUNT COOKIE [FROZEN]
"""

import asyncio
import json
import re
import socket
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

import uvloop

from bench.proc import raise_nofile

MARKER = re.compile(rb"bench-[a-z0-9]+-\d+")
FIELDS = re.compile(rb"^(event|id|retry): ?([^\n]*)", re.MULTILINE)  # of a frame, what a client keys on


class Client:
    def __init__(self, url: str, cookie: str) -> None:
        self.url, self.cookie = urlsplit(url), cookie
        self.first_seen: dict[str, float] = {}  # marker -> wall-clock time of receipt
        self.frames: Counter[bytes] = Counter()  # b"event\nid" -> times seen
        self.bytes = 0
        self.ready = asyncio.Event()
        self.ended = ""  # why the stream ended early, if it did
        self.status = ""  # the status line of the last answer
        self.reconnect_s = 3.0  # EventSource's reconnection time: Chromium's default until a `retry` field
        self.retried: list[str] = []  # network errors it reconnected after, as a browser would

    def take(self, frame: bytes) -> None:
        fields = dict(FIELDS.findall(frame))
        event, ident = fields.get(b"event", b""), fields.get(b"id", b"")
        if retry := fields.get(b"retry"):
            self.reconnect_s = int(retry) / 1000
        if event == b"members":
            self.ready.set()
        if ident:  # heartbeats (comments) carry no id
            self.frames[event + b"\n" + ident] += 1
        now = time.time()
        for marker in MARKER.findall(frame):
            self.first_seen.setdefault(marker.decode(), now)

    async def connect(self, frozen: bool = False) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        parts = self.url
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        if frozen:  # a small receive buffer, so the dashboard's side fills after a few frames
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        target = parts.path + ("?" + parts.query if parts.query else "")
        # A browser's EventSource sends the cookies the page set (session and CSRF).
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: {self.cookie}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        self.status = head.split(b"\r\n", 1)[0].decode()
        if not head.startswith(b"HTTP/1.1 200"):
            raise OSError(self.status)
        return reader, writer

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect as EventSource does: after a network error (not an HTTP error status),
        again once the reconnection time has passed."""
        while True:
            try:
                return await self.connect()
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self.retried.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(self.reconnect_s)

    async def run(self) -> None:
        # Plain asyncio streams on uvloop, not httpx, and a frame's fields found by one regex:
        # with 1,000 streams on a 2-core machine, the clients share the CPUs with the dashboard.
        # Chunked transfer framing is left in: its size lines carry no colon and are skipped.
        buffer = b""
        try:
            reader, writer = await self.open()
            try:
                while chunk := await reader.read(65536):
                    self.bytes += len(chunk)
                    buffer += chunk.replace(b"\r\n", b"\n")
                    *frames, buffer = buffer.split(b"\n\n")
                    for frame in frames:
                        self.take(frame)
            finally:
                writer.close()
            self.ended = "closed by the server"
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.ended = f"{type(exc).__name__}: {exc}"
        finally:
            self.ready.set()  # a failed stream must not hold up the others' `ready`

    async def freeze(self) -> None:
        """Connect, then never read: held open until the process ends."""
        try:
            _reader, writer = await self.connect(frozen=True)
            self.ready.set()
            await asyncio.Event().wait()
            writer.close()
        except (OSError, asyncio.IncompleteReadError) as exc:
            self.ended = f"{type(exc).__name__}: {exc}"
        finally:
            self.ready.set()


async def storm(clients: list[Client], tasks: list[asyncio.Task[None]]) -> dict[str, object]:
    """Every stream drops and reconnects at once; seconds until each had its refresh again."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    started = time.monotonic()
    for client in clients:
        client.ready.clear()
        client.ended = ""
        client.retried.clear()
    tasks[:] = [asyncio.create_task(client.run()) for client in clients]
    await asyncio.gather(*(c.ready.wait() for c in clients))
    return {
        "resynced_s": round(time.monotonic() - started, 2),
        "statuses": Counter(c.status for c in clients),
        "failed": [c.ended for c in clients if c.ended],
        "retried": [reason for c in clients for reason in c.retried],
    }


async def main(url: str, count: int, cookie: str, frozen: int) -> None:
    raise_nofile()
    clients = [Client(url, cookie) for _ in range(count)]
    tasks = []
    for client in clients:
        tasks.append(asyncio.create_task(client.run()))
        await asyncio.sleep(0.002)  # a browser-like arrival rate, not a SYN flood
    frozen_clients = [Client(url, cookie) for _ in range(frozen)]
    frozen_tasks = [asyncio.create_task(c.freeze()) for c in frozen_clients]
    await asyncio.gather(*(c.ready.wait() for c in clients + frozen_clients))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while command := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
        if command == "storm":
            print(json.dumps(await storm(clients, tasks)), flush=True)
    for task in tasks + frozen_tasks:
        task.cancel()
    await asyncio.gather(*tasks, *frozen_tasks, return_exceptions=True)
    report = {
        "first_seen": [c.first_seen for c in clients],
        "duplicates": sum(n - 1 for c in clients for n in c.frames.values() if n > 1),
        "frames": sum(sum(c.frames.values()) for c in clients),
        "bytes": sum(c.bytes for c in clients),
        "ended_early": [c.ended for c in clients if c.ended],
        "frozen_ended": [c.ended for c in frozen_clients if c.ended],
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    uvloop.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0))
