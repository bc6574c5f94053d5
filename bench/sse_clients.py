"""A process holding many SSE streams (`/stream?topic=members`), as that many browsers would.

Run by the fan-out and soak benchmarks, several at once so the clients do not compete for
one core. It prints `ready` once every stream has its first full refresh, then notes when
each stream first sees each marker (`bench-<run>-<n>`, a member description set with the
incus CLI), and which frames (event, id) it sees twice. What a stream receives is kept with
its times of receipt, by the kernel and by this process, and read only at the end: the
clients share the CPUs with the dashboard, and each microsecond they spend on a frame delays
the fan-out they measure. FROZEN more streams connect and then never read again, as a browser
tab whose machine froze would (their socket buffers fill and the dashboard must not wait for
them). A connection refused or reset is made again after the reconnection time, as
EventSource does, and noted. READ_EVERY (ms, 0 by default) reads the streams in batches
that often instead of each as it becomes readable: a browser reads on its own machine, and
here every wake-up of a reader is a context switch taken from the 2 vCPUs the dashboard uses
(the kernel's time of receipt is kept either way). Commands on
stdin: `storm` drops every reading stream and reconnects them all at once, without a
Last-Event-ID (as after a dashboard restart: each gets the whole page again), then prints one
JSON line (seconds until each had its refresh, the statuses answered, the reconnections);
`thaw` closes the frozen streams and `freeze` opens FROZEN new ones, each printing one JSON
line once done (a run can then compare changes made with and without frozen streams, in
turns); at end of input it prints one JSON line with what it saw and exits.

    python -m bench.sse_clients URL COUNT COOKIE [FROZEN [READ_EVERY]]
"""

import asyncio
import json
import re
import select
import socket
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import uvloop

from bench.proc import raise_nofile

MARKER = re.compile(rb"bench-[a-z0-9]+-\d+")
FIELDS = re.compile(rb"^(event|id|retry): ?([^\r\n]*)", re.MULTILINE)  # of a frame, what a client keys on


# Linux's SO_TIMESTAMPNS (not in Python's socket module): each read comes with the time the
# kernel received its last bytes. On loopback that is when the dashboard wrote them, as a
# browser on another machine would have them then, however late this process gets to read.
SO_TIMESTAMPNS = 35
STAMP = socket.CMSG_SPACE(16)


class OnReadiness:
    """Each socket read as soon as it is readable, by the event loop."""

    def add(self, sock: socket.socket, callback: Callable[[], None]) -> None:
        asyncio.get_running_loop().add_reader(sock, callback)

    def remove(self, sock: socket.socket) -> None:
        asyncio.get_running_loop().remove_reader(sock)


class Batched:
    """Every `every` seconds, each socket readable then (one epoll for all): the dashboard's
    write wakes nobody, and a fan-out to a process's streams is read in a few wake-ups."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.epoll = select.epoll()
        self.callbacks: dict[int, Callable[[], None]] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, sock: socket.socket, callback: Callable[[], None]) -> None:
        self.callbacks[sock.fileno()] = callback
        self.epoll.register(sock.fileno(), select.EPOLLIN)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.run())

    def remove(self, sock: socket.socket) -> None:
        if self.callbacks.pop(sock.fileno(), None) is not None:
            self.epoll.unregister(sock.fileno())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            for fd, _ in self.epoll.poll(0):
                if (callback := self.callbacks.get(fd)) is not None:  # not closed by an earlier one
                    callback()


Readers = OnReadiness | Batched


class Client:
    """One stream, read from its socket by a callback its `readers` call (not a StreamReader:
    with 10,000 streams on a 2-core machine, the clients share the CPUs with the dashboard)."""

    def __init__(self, url: str, cookie: str, readers: Readers) -> None:
        self.url, self.cookie, self.readers = urlsplit(url), cookie, readers
        self.first_seen: dict[str, float] = {}  # marker -> wall-clock time this process read it
        self.first_arrived: dict[str, float] = {}  # marker -> wall-clock time the kernel received it
        self.frames: Counter[bytes] = Counter()  # b"event\nid" -> times seen
        self.bytes = 0
        self.ready = asyncio.Event()
        self.ended = ""  # why the stream ended early, if it did
        self.status = ""  # the status line of the last answer
        self.reconnect_s = 3.0  # EventSource's reconnection time: Chromium's default until a `retry` field
        self.retried: list[str] = []  # network errors it reconnected after, as a browser would
        self.head: bytes | None = b""  # the answer's head until it is complete, then None
        # Per connection: (time received, time read, bytes).
        self.received: list[list[tuple[float, float, bytes]]] = []
        self.sock: socket.socket | None = None
        self.answered: asyncio.Future[None] | None = None  # the head has come
        self.closed: asyncio.Future[Exception | None] | None = None  # the connection is gone, and why

    def take(self, frame: bytes, arrived: float, now: float) -> None:
        fields = dict(FIELDS.findall(frame))
        event, ident = fields.get(b"event", b""), fields.get(b"id", b"")
        if ident:  # heartbeats (comments) carry no id
            self.frames[event + b"\n" + ident] += 1
        for marker in MARKER.findall(frame):
            self.first_seen.setdefault(marker.decode(), now)
            self.first_arrived.setdefault(marker.decode(), arrived)

    def read(self) -> None:
        """Read what every connection received: frames end with an empty line (the chunked
        encoding's size lines fall between them); a frame was received with its last bytes."""
        for chunks in self.received:
            buffer = b""
            for arrived, now, data in chunks:
                *frames, buffer = (buffer + data).split(b"\r\n\r\n")
                for frame in frames:
                    self.take(frame, arrived, now)
        self.received.clear()

    def readable(self) -> None:
        assert self.sock is not None
        try:
            data, stamps, _, _ = self.sock.recvmsg(65536, STAMP)
        except BlockingIOError:
            return
        except OSError as exc:
            self.lost(exc)
            return
        if not data:
            self.lost(None)
            return
        now = time.time()
        arrived = now
        for _, kind, stamp in stamps:
            if kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", stamp[:16])
                arrived = seconds + nanoseconds / 1e9
        self.received_data(data, arrived, now)

    def received_data(self, data: bytes, arrived: float, now: float) -> None:
        if self.head is not None:
            self.head += data
            if b"\r\n\r\n" not in self.head:
                return
            head, _, data = self.head.partition(b"\r\n\r\n")
            self.head, self.status = None, head.split(b"\r\n", 1)[0].decode()
            if self.answered and not self.answered.done():
                self.answered.set_result(None)
        self.bytes += len(data)
        self.received[-1].append((arrived, now, data))
        if not self.ready.is_set():  # until the first refresh has come whole: its reconnection time
            complete = b"".join(chunk for _, _, chunk in self.received[-1]).rpartition(b"\r\n\r\n")[0]
            for name, value in FIELDS.findall(complete):
                if name == b"retry":
                    self.reconnect_s = int(value) / 1000
                elif name == b"event" and value == b"members":
                    self.ready.set()

    def lost(self, exc: Exception | None) -> None:
        self.close()
        if self.answered and not self.answered.done():
            self.answered.set_exception(exc or ConnectionResetError("closed before answering"))
        if self.closed and not self.closed.done():
            self.closed.set_result(exc)

    def close(self) -> None:
        if self.sock is not None:
            self.readers.remove(self.sock)
            self.sock.close()
            self.sock = None

    async def connect(self, frozen: bool = False) -> None:
        loop = asyncio.get_running_loop()
        self.head = b""
        self.received.append([])
        self.answered, self.closed = loop.create_future(), loop.create_future()
        self.sock = sock = socket.socket()
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        if frozen:  # a small receive buffer, so the dashboard's side fills after a few frames
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        target = self.url.path + ("?" + self.url.query if self.url.query else "")
        # A browser's EventSource sends the cookies the page set (session and CSRF).
        request = f"GET {target} HTTP/1.1\r\nHost: {self.url.netloc}\r\nCookie: {self.cookie}\r\n\r\n"
        try:
            await loop.sock_connect(sock, (self.url.hostname, self.url.port))
            await loop.sock_sendall(sock, request.encode())
            self.readers.add(sock, self.readable)
            await self.answered
        except BaseException:
            self.close()
            raise
        if not self.status.startswith("HTTP/1.1 200"):
            self.close()
            raise OSError(self.status)
        if frozen:
            self.readers.remove(sock)

    async def open(self) -> None:
        """Connect as EventSource does: after a network error (not an HTTP error status),
        again once the reconnection time has passed."""
        while True:
            try:
                return await self.connect()
            except ConnectionError as exc:
                self.retried.append(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(self.reconnect_s)

    async def run(self) -> None:
        try:
            await self.open()
            try:
                assert self.closed is not None
                gone = await self.closed
            finally:
                self.close()
            self.ended = f"{type(gone).__name__}: {gone}" if gone else "closed by the server"
        except OSError as exc:
            self.ended = f"{type(exc).__name__}: {exc}"
        finally:
            self.ready.set()  # a failed stream must not hold up the others' `ready`

    async def freeze(self) -> None:
        """Connect, then never read: held open until thawed, or the process ends."""
        try:
            await self.connect(frozen=True)
            self.ready.set()
            try:
                await asyncio.Event().wait()
            finally:
                self.close()
        except OSError as exc:
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


async def main(url: str, count: int, cookie: str, frozen: int, read_every: float) -> None:
    raise_nofile()
    readers: Readers = Batched(read_every) if read_every else OnReadiness()
    clients = [Client(url, cookie, readers) for _ in range(count)]
    tasks = []
    for client in clients:
        tasks.append(asyncio.create_task(client.run()))
        await asyncio.sleep(0.002)  # a browser-like arrival rate, not a SYN flood
    frozen_clients: list[Client] = []  # every frozen stream opened, those closed by `thaw` too
    frozen_tasks: list[asyncio.Task[None]] = []  # those open

    async def freeze() -> dict[str, object]:
        new = [Client(url, cookie, readers) for _ in range(frozen)]
        frozen_clients.extend(new)
        frozen_tasks.extend(asyncio.create_task(c.freeze()) for c in new)
        await asyncio.gather(*(c.ready.wait() for c in new))
        return {"frozen": len(new), "failed": [c.ended for c in new if c.ended]}

    async def thaw() -> dict[str, object]:
        for task in frozen_tasks:
            task.cancel()
        closed = await asyncio.gather(*frozen_tasks, return_exceptions=True)
        frozen_tasks.clear()
        return {"thawed": len(closed)}

    commands = {"storm": lambda: storm(clients, tasks), "freeze": freeze, "thaw": thaw}
    await asyncio.gather(*(c.ready.wait() for c in clients), freeze())
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while command := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
        print(json.dumps(await commands[command]()), flush=True)
    await thaw()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for client in clients:
        client.read()
    report = {
        "first_seen": [c.first_seen for c in clients],
        "first_arrived": [c.first_arrived for c in clients],
        "duplicates": sum(n - 1 for c in clients for n in c.frames.values() if n > 1),
        "frames": sum(sum(c.frames.values()) for c in clients),
        "bytes": sum(c.bytes for c in clients),
        "ended_early": [c.ended for c in clients if c.ended],
        "frozen_failed": [c.ended for c in frozen_clients if c.ended],
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    frozen, read_every = (int(a) for a in (sys.argv[4:] + ["0", "0"])[:2])
    uvloop.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], frozen, read_every / 1000))
