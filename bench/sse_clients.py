"""A process holding many SSE streams (`/stream?topic=members`), as that many browsers would.

Run by the fan-out and soak benchmarks, several at once so the clients do not compete for
one core. It prints `ready` once every stream has its first full refresh, then notes when
each stream first sees each marker (`bench-<run>-<n>`, a member description set with the
incus CLI), and which frames (event, id) it sees twice. When stdin closes it prints one
JSON line with what it saw and exits.

    python -m bench.sse_clients URL COUNT
"""

import asyncio
import json
import re
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

from bench.proc import raise_nofile

MARKER = re.compile(rb"bench-[a-z0-9]+-\d+")


class Client:
    def __init__(self) -> None:
        self.first_seen: dict[str, float] = {}  # marker -> wall-clock time of receipt
        self.frames: Counter[bytes] = Counter()  # b"event\nid" -> times seen
        self.bytes = 0
        self.ready = asyncio.Event()
        self.ended = ""  # why the stream ended early, if it did

    def take(self, frame: bytes) -> None:
        fields = dict(line.split(b":", 1) for line in frame.split(b"\n") if b":" in line and not line.startswith(b":"))
        event, ident = fields.get(b"event", b"").strip(), fields.get(b"id", b"").strip()
        if event == b"members":
            self.ready.set()
        if ident:  # heartbeats (comments) carry no id
            self.frames[event + b"\n" + ident] += 1
        now = time.time()
        for marker in MARKER.findall(frame):
            self.first_seen.setdefault(marker.decode(), now)

    async def run(self, url: str, cookie: str) -> None:
        # Plain asyncio streams, not httpx: with 1,000 streams on a 2-core machine, the
        # clients' own parsing would otherwise cost more CPU than the dashboard's sending.
        # Chunked transfer framing is left in: its size lines carry no colon and are skipped.
        parts = urlsplit(url)
        buffer = b""
        try:
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            try:
                target = parts.path + ("?" + parts.query if parts.query else "")
                # A browser's EventSource sends the cookies the page set (session and CSRF).
                writer.write(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nCookie: {cookie}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise OSError(head.split(b"\r\n", 1)[0].decode())
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


async def main(url: str, count: int, cookie: str) -> None:
    raise_nofile()
    clients = [Client() for _ in range(count)]
    tasks = []
    for client in clients:
        tasks.append(asyncio.create_task(client.run(url, cookie)))
        await asyncio.sleep(0.002)  # a browser-like arrival rate, not a SYN flood
    await asyncio.gather(*(c.ready.wait() for c in clients))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    report = {
        "first_seen": [c.first_seen for c in clients],
        "duplicates": sum(n - 1 for c in clients for n in c.frames.values() if n > 1),
        "frames": sum(sum(c.frames.values()) for c in clients),
        "bytes": sum(c.bytes for c in clients),
        "ended_early": [c.ended for c in clients if c.ended],
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
