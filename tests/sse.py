"""A small SSE reader for tests: read a stream until a frame matches, or time out."""

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx


@dataclass
class Frame:
    event: str
    data: str
    id: str


def frames(response: httpx.Response):
    event, data, ident = "message", [], ""
    for line in response.iter_lines():
        if line == "":
            if event == "heartbeat":
                yield None  # the hub's heartbeat: lets the reader check its deadline
            elif data:
                yield Frame(event, "\n".join(data), ident)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif line.startswith("id:"):
            ident = line[3:].strip()
        elif line.startswith(":"):
            yield None  # a comment: lets the reader check its deadline


class Stream:
    """An open SSE stream: `wait_for` reads frames until one matches."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(5, read=30), cookies=cookies)
        self.response = self.client.send(self.client.build_request("GET", url, headers=headers), stream=True)
        self.response.raise_for_status()
        self.frames = frames(self.response)
        self.seen: list[Frame] = []

    def wait_for(self, match: Callable[[Frame], bool], timeout: float) -> Frame:
        deadline = time.monotonic() + timeout
        for frame in self.frames:
            if frame is not None:
                self.seen.append(frame)
                if match(frame):
                    return frame
            if time.monotonic() > deadline:
                break
        raise TimeoutError(f"no matching frame in {timeout}s; saw {[f.event for f in self.seen]}")

    def close(self) -> None:
        self.response.close()
        self.client.close()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


HEARTBEAT = 1.0  # INCUS_WEBUI_HEARTBEAT in tests/conftest.py's Dashboard


def seconds_until_it_ends(stream: Stream, limit: float = 10) -> float:
    """Read until the server ends the stream; how long that took."""
    started = time.monotonic()
    try:
        for _ in stream.frames:
            assert time.monotonic() - started < limit, "the stream is still open"
    except httpx.ReadTimeout:
        raise AssertionError("the stream is still open") from None
    return time.monotonic() - started


def open_stream(url: str, cookies: dict[str, str]) -> Stream:
    """A stream, once it is live (its first refresh came)."""
    stream = Stream(url, cookies=cookies)
    stream.wait_for(lambda f: f.event.startswith(("noc", "banner", "members")), timeout=10)
    return stream
