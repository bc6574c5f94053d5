"""What one SSE stream writes: the frames waiting for it in one write, and nothing more once
its browser stops reading (the hub ends a send that waits too long, at its heartbeat)."""

import asyncio

from tests.live_pages import PAGES
from webui.incus.models import Member
from webui.live.hub import WAKE_SLICE, Hub
from webui.live.snapshot import ClusterSnapshot
from webui.live.sse import SubscriberResponse
from webui.middleware.detach import DetachMiddleware, detach
from webui.views.audit import AUDIT
from webui.views.members import MEMBERS


def make_hub(send_timeout: float = 30.0) -> Hub:
    return Hub(lambda template, context: f"<p>{template}</p>", queue_size=8, send_timeout=send_timeout, pages=PAGES)


def cluster(version: int, description: str = "") -> ClusterSnapshot:
    members = (Member(server_name="m1", description=description), Member(server_name="m2"))
    return ClusterSnapshot(version=version, members=members, reachable=True)


class Browser:
    """The ASGI side of one connection: records each body write, and can stop reading."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.reading = True
        self.wrote = asyncio.Event()
        self.disconnected = asyncio.Event()

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.body":
            if not self.reading:
                await asyncio.Event().wait()  # a full socket buffer: uvicorn waits for it to drain
            self.writes.append(message["body"])
            self.wrote.set()

    async def receive(self) -> dict:
        await self.disconnected.wait()
        return {"type": "http.disconnect"}


def open_stream(response: SubscriberResponse, browser: Browser) -> asyncio.Task[None]:
    """The stream as the server runs it: through the outermost layer its frames are sent from."""
    return asyncio.create_task(DetachMiddleware(response)({"type": "http"}, browser.receive, browser.send))


async def written(browser: Browser) -> None:
    browser.wrote.clear()
    await asyncio.wait_for(browser.wrote.wait(), 1)


async def test_the_frames_of_one_change_reach_a_stream_in_one_write():
    hub = make_hub()
    hub.update(cluster(1))
    subscriber = hub.subscribe([MEMBERS, AUDIT])
    browser = Browser()
    stream = open_stream(SubscriberResponse([hub], subscriber, hub.refresh([MEMBERS, AUDIT])), browser)
    await written(browser)
    assert browser.writes[0].startswith(b"retry: ") and b"event: members" in browser.writes[0]  # one write
    hub.update(cluster(2, description="new"))
    hub.publish_one(AUDIT, "audit", "audit/_row.html", {})  # a second publish before the stream's task runs
    await written(browser)
    assert len(browser.writes) == 2
    assert b"event: member-m1" in browser.writes[1] and b"event: audit" in browser.writes[1]  # both, one write
    browser.disconnected.set()
    await asyncio.wait_for(stream, 1)
    assert not hub.subscribers


async def test_a_send_that_waits_too_long_on_its_browser_is_ended_at_the_heartbeat():
    hub = make_hub(send_timeout=0.05)
    hub.update(cluster(1))
    stuck, reading = Browser(), Browser()
    streams = [open_stream(SubscriberResponse([hub], hub.subscribe([MEMBERS]), []), b) for b in (stuck, reading)]
    await asyncio.sleep(0.01)
    stuck.reading = False
    hub.update(cluster(2, description="unread"))
    await asyncio.sleep(0.1)
    hub.drop_stalled()  # what the heartbeat does
    await asyncio.wait_for(streams[0], 1)  # ended quietly, not with an error
    assert hub.dropped == 1 and len(hub.subscribers) == 1
    hub.update(cluster(3, description="still read"))
    await written(reading)
    assert f"id: {hub.event_id(3)}".encode() in reading.writes[-1]
    reading.disconnected.set()
    await asyncio.wait_for(streams[1], 1)


async def test_a_fan_out_to_many_streams_lets_the_loop_turn_between_slices():
    """The watcher's next event waits for one slice of writes, not for every stream's; the
    streams not reached yet when it comes send both changes in one write."""
    hub = make_hub()
    hub.update(cluster(1))
    browsers = [Browser() for _ in range(3 * WAKE_SLICE)]
    streams = [open_stream(SubscriberResponse([hub], hub.subscribe([MEMBERS]), []), b) for b in browsers]
    await asyncio.sleep(0.01)  # each has had its `retry` and waits for a frame
    assert all(len(b.writes) == 1 for b in browsers)
    loop = asyncio.get_running_loop()
    hub.update(cluster(2, description="first"))
    turn = loop.create_future()  # what another task finds at the loop's next turn
    loop.call_soon(lambda: turn.set_result(sum(len(b.writes) == 2 for b in browsers)))
    assert await turn == WAKE_SLICE
    hub.update(cluster(3, description="second"))
    await asyncio.sleep(0.05)
    first, second = (f"id: {hub.event_id(v)}".encode() for v in (2, 3))
    assert all(second in b.writes[-1] for b in browsers)
    both = [b for b in browsers if first in b.writes[-1]]
    assert 0 < len(both) < len(browsers)
    assert all(len(b.writes) == 2 for b in both)
    for browser in browsers:
        browser.disconnected.set()
    await asyncio.wait_for(asyncio.gather(*streams), 1)


async def test_a_detached_stream_keeps_the_servers_scope_and_none_of_the_layers():
    kept: dict = {}

    async def rest(receive, send) -> None:
        kept.update(scope)

    async def layers(scope, receive, send) -> None:
        scope["route"] = "the route"  # what a layer below adds
        scope["state"]["user"] = "alice"
        scope["path"] = "/stream"  # what a layer changes of the server's
        scope["root_path"] = scope.pop("root_path")  # or takes out and puts back
        detach(scope, rest)

    scope = {"type": "http", "path": "/events", "root_path": "", "state": {}}
    await DetachMiddleware(layers)(scope, None, None)
    assert kept == {"type": "http", "path": "/stream", "root_path": "", "state": {}}
