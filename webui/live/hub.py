"""The Hub: renders what changed once, and fans the same bytes out to every browser.

Each subscriber (one SSE stream, one page) has a bounded mailbox. A browser that stops reading
is dropped when its mailbox is full, or when a send has waited on it for send_timeout,
without slowing the others; its EventSource reconnects and gets a full refresh.
"""

import asyncio
import logging
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import Histogram
from sse_starlette import ServerSentEvent
from sse_starlette.sse import AppStatus

from webui.clock import now
from webui.identity import Credential
from webui.live.fragments import EVERYONE, LivePage, keys_of, pieces
from webui.live.mailbox import Subscriber, next_change
from webui.live.snapshot import Changes, ClusterSnapshot, diff

log = logging.getLogger(__name__)

PING = "ping"  # the heartbeat, to every stream (a wall display's too)


EXIT_CHECK = 0.5  # seconds between looks at the exit signal
# Streams woken per turn of the event loop. A fan-out to thousands of streams is written a
# slice at a time, so the watcher reads its next event (and a page request is answered)
# between slices rather than after the last write; a stream not reached yet when the next
# change comes sends both in one write.
WAKE_SLICE = 64

# (template, context) -> html; the hub does not know where templates live.
Render = Callable[[str, dict[str, object]], str]
# Given the credentials of open streams, those no longer valid (revoked, disabled, expired).
CheckCredentials = Callable[[frozenset[Credential]], set[Credential]]
# When something a snapshot shows as "just ended" stops being so (None: nothing will).
Expires = Callable[[ClusterSnapshot, datetime], datetime | None]


@dataclass(frozen=True)
class Message:
    topic: str
    data: bytes  # one encoded SSE frame, identical for every subscriber


# A named event, not a comment: a wall display counts them and says STALE after two missed
# (pages have no listener for it, so their browsers drop it unseen).
HEARTBEAT = Message(PING, b"event: heartbeat\ndata: beat\n\n")


def with_common(topics: Iterable[str], pages: bool) -> frozenset[str]:
    """A stream's topics: its own, the heartbeat, and for a dashboard page (not a wall
    display, which shows none of them) what every page shows."""
    return frozenset(topics) | {PING} | ({EVERYONE} if pages else set())


class TooManyStreams(Exception):
    """One identity holds max_per_owner streams already (`owner` set), or the process holds
    max_streams (`owner` empty)."""

    def __init__(self, owner: str = "") -> None:
        super().__init__(owner)
        self.owner = owner


# Sets of topics whose refresh is kept for the current snapshot version: the pages' few
# combinations many times over, not one entry per set a client can make up.
REFRESH_CACHE = 32


class Hub:
    def __init__(
        self, render: Render, queue_size: int = 64, max_per_owner: int = 0, check: CheckCredentials | None = None,
        send_timeout: float = 30.0, max_streams: int = 0, expires: Expires | None = None,
        pages: Sequence[LivePage] = (),
    ) -> None:
        self.render = render
        self.pages = tuple(pages)  # what it renders: the live pages' fragments (webui/views/)
        self.queue_size = queue_size
        self.send_timeout = send_timeout
        self.max_per_owner = max_per_owner  # 0: no limit
        self.max_streams = max_streams  # 0: no limit
        self.check = check
        self.expires = expires
        self._ages_at: datetime | None = None  # when to render what shows "just ended" again
        self.snapshot = ClusterSnapshot()
        self.subscribers: set[Subscriber] = set()
        # The same streams by topic: a frame goes to those listening to its topic without a
        # look at every other stream (with 10,000 open, most listen to something else).
        self.by_topic: dict[str, set[Subscriber]] = {}
        self.per_owner: Counter[str] = Counter()
        # Streams of one page share one set of topics rather than each holding a copy; a set
        # is forgotten with its last stream, so what is kept is bounded by what is open.
        self._topic_sets: dict[frozenset[str], frozenset[str]] = {}
        self._topic_set_users: Counter[frozenset[str]] = Counter()
        self.dropped = 0
        self.frames_published = 0
        # Streams with frames, woken WAKE_SLICE a turn; while any wait, the next slice is due.
        self._to_wake: deque[Subscriber] = deque()
        # Once per change, however many streams: what /metrics reports of rendering.
        self.render_seconds = Histogram(
            "incus_webui_render_duration_seconds",
            "Time to render the fragments of one change, once for every stream.",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=None,
        )
        self._refreshed: tuple[int, dict[frozenset[str], list[bytes]]] = (-1, {})
        # Snapshot versions count from 0 in every process: the event ids a browser sees carry
        # this process's own prefix too, so a stream that reconnects to another dashboard
        # process behind a load balancer never takes that one's version for its own.
        self.boot = secrets.token_hex(4)
        # Told of every new snapshot (the watcher leader relays it to the other processes).
        self.on_update: list[Callable[[ClusterSnapshot], None]] = []

    def event_id(self, version: int) -> str:
        """The SSE id (and page `v`) naming a snapshot version of this process."""
        return f"{self.boot}-{version}"

    def current(self, seen: str | None) -> bool:
        """Whether a browser that last saw `seen` (an event id) is up to date."""
        return seen == self.event_id(self.snapshot.version)

    def subscribe(
        self, topics: Iterable[str], owner: str = "", credential: Credential | None = None, pages: bool = True
    ) -> Subscriber:
        """A new stream; TooManyStreams when `owner` holds max_per_owner already, or the
        process max_streams."""
        return self.admit(Subscriber(with_common(topics, pages), self.queue_size, owner, credential))

    def admit(self, subscriber: Subscriber) -> Subscriber:
        """Send this hub's frames to a stream too: a wall of several clusters is one stream
        (a browser holds six connections to a host) in the hub of each; TooManyStreams as
        subscribe."""
        owner = subscriber.owner
        if owner and self.max_per_owner and self.per_owner[owner] >= self.max_per_owner:
            raise TooManyStreams(owner)
        if self.max_streams and len(self.subscribers) >= self.max_streams:
            raise TooManyStreams()
        subscriber.topics = self._topic_sets.setdefault(subscriber.topics, subscriber.topics)
        self._topic_set_users[subscriber.topics] += 1
        self.subscribers.add(subscriber)
        for topic in subscriber.topics:
            self.by_topic.setdefault(topic, set()).add(subscriber)
        self.per_owner[subscriber.owner] += 1
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        if subscriber in self.subscribers:
            self.subscribers.discard(subscriber)
            for topic in subscriber.topics:
                listeners = self.by_topic[topic]
                listeners.discard(subscriber)
                if not listeners:
                    del self.by_topic[topic]
            self.per_owner[subscriber.owner] -= 1
            if not self.per_owner[subscriber.owner]:
                del self.per_owner[subscriber.owner]
            self._topic_set_users[subscriber.topics] -= 1
            if not self._topic_set_users[subscriber.topics]:
                del self._topic_set_users[subscriber.topics]
                del self._topic_sets[subscriber.topics]

    def listening(self) -> frozenset[str]:
        """The topics some open stream listens to."""
        return frozenset(self.by_topic)

    def watched(self) -> frozenset[str]:
        """The keys of the keyed pages someone has open (members whose page is open)."""
        return frozenset(key for topic in self.by_topic for page in self.pages if (key := keys_of(topic, page)))

    def update(self, snapshot: ClusterSnapshot) -> None:
        """Take a new snapshot and publish what it changed."""
        changes = diff(self.snapshot, snapshot)
        self.snapshot = snapshot
        if changes:
            listening = self.listening()
            started = time.perf_counter()
            frames = self.frames(snapshot, changes, listening)
            self.render_seconds.observe(time.perf_counter() - started)
            self.publish(frames)
        if self.expires is not None:
            # A due time that passed stays due until age() redraws, unless the strip was just
            # redrawn anyway: a resync at that moment must not skip it.
            due = self.expires(snapshot, now())
            pending = None if changes.operations or changes.membership else self._ages_at
            self._ages_at = min((at for at in (pending, due) if at is not None), default=None)
        for listener in self.on_update:
            listener(snapshot)

    def age(self) -> None:
        """What ended "just now" and no longer did leaves the pages with no change in the
        cluster: the strip, and the pages of members whose run ended, rendered once
        for every stream as for a change. Looked at on the hub's clock."""
        at = now()
        if self._ages_at is None or at < self._ages_at or self.expires is None:
            return
        # A new version (same data): a stream that reconnects with an older event id is sent
        # the redrawn strip, and refresh() renders it anew.
        snapshot = self.snapshot = self.snapshot.evolve()
        ended = frozenset(run.member for run in snapshot.maintenance if not run.running)
        changes = Changes(frozenset(), ended, membership=False, status=False, aged=True)
        self.publish(self.frames(snapshot, changes, self.listening()))
        self._ages_at = self.expires(snapshot, at)

    def refresh(self, topics: Iterable[str], pages: bool = True) -> list[bytes]:
        """Everything a page shows, for a stream that may have missed updates. Rendered once
        per snapshot version and set of topics, however many browsers reconnect, and only for
        those topics (not every member page in every role's version)."""
        snapshot = self.snapshot
        wanted = with_common(topics, pages)
        if self._refreshed[0] != snapshot.version:
            self._refreshed = (snapshot.version, {})
        cache = self._refreshed[1]
        if wanted not in cache:
            if len(cache) >= REFRESH_CACHE:
                del cache[next(iter(cache))]  # the oldest
            names = frozenset(m.server_name for m in snapshot.members)
            operations = frozenset(op.id for op in snapshot.operations)
            everything = Changes(
                names, names, membership=True, status=True, operations=operations, cluster=True, fresh=True,
                statuses=True, maintenance=True, warnings=True,
            )
            cache[wanted] = [m.data for m in self.frames(snapshot, everything, wanted) if m.topic in wanted]
        return cache[wanted]

    def frames(
        self, snapshot: ClusterSnapshot, changes: Changes, listening: frozenset[str] | None = None
    ) -> list[Message]:
        """Rendered fragments for what changed; those of pages nobody has open (`listening`,
        None for all) are skipped, since a stream that opens later gets refresh()."""
        version = self.event_id(snapshot.version)
        return [
            Message(
                piece.topic,
                ServerSentEvent(
                    # Multi-line data is fine in SSE; each line becomes its own `data:` field.
                    self.render(piece.template, {"snapshot": snapshot, **piece.context}), event=piece.event, id=version
                ).encode(),
            )
            for piece in pieces(self.pages, snapshot, changes, listening)
        ]

    def publish_one(self, topic: str, event: str, template: str, context: dict[str, object]) -> None:
        """Something that is not in the snapshot (an audit record), rendered once for `topic`."""
        html = self.render(template, context)
        self.publish([Message(topic, ServerSentEvent(html, event=event).encode())])

    def publish(self, messages: list[Message]) -> None:
        self.frames_published += sum(message is not HEARTBEAT for message in messages)
        idle = not self._to_wake  # else a slice is already due, and takes these in their turn
        change = next_change()
        for message in messages:
            for subscriber in list(self.by_topic.get(message.topic, ())):
                if not subscriber.put(message.data, change):
                    self.drop(subscriber, f"{subscriber.size} changes waited")
                elif not subscriber.queued and subscriber.waiting():
                    subscriber.queued = True
                    self._to_wake.append(subscriber)
        if idle:
            self._wake_slice()

    def _wake_slice(self) -> None:
        """Wake the next WAKE_SLICE streams (their tasks write in the loop's next turn), and
        come back for the rest in the turn after."""
        for _ in range(min(WAKE_SLICE, len(self._to_wake))):
            subscriber = self._to_wake.popleft()
            subscriber.queued = False
            subscriber.wake()
        if self._to_wake:
            asyncio.get_running_loop().call_soon(self._wake_slice)

    def drop(self, subscriber: Subscriber, why: str) -> None:
        """End a stream whose browser stopped reading: its mailbox filled, or a send waited too long."""
        log.info("dropping an SSE client that stopped reading (%s; %s)", why, ", ".join(sorted(subscriber.topics)))
        self.dropped += 1
        self.end(subscriber)

    def end(self, subscriber: Subscriber) -> None:
        """End a stream: its browser went away or stopped reading, or the server is stopping."""
        self.unsubscribe(subscriber)
        subscriber.end()

    def close(self) -> None:
        """End every stream, so the server can shut down with browsers connected."""
        for subscriber in list(self.subscribers):
            self.end(subscriber)

    async def run(self, heartbeat: float) -> None:
        """The clock every stream shares: a heartbeat comment to all of them (idle proxies keep
        the connections open; a browser that stopped reading fills its mailbox, or stalls a
        send, and is dropped), and the end of every stream once the server is told to exit,
        since uvicorn waits for open responses before it shuts down. sse-starlette notes that
        signal in AppStatus."""
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + heartbeat
        while not AppStatus.should_exit:
            await asyncio.sleep(EXIT_CHECK)
            self.age()
            if loop.time() >= next_beat:
                self.publish([HEARTBEAT])
                self.drop_stalled()
                await self.end_revoked()
                next_beat = loop.time() + heartbeat
        self.close()

    def drop_stalled(self) -> None:
        """Drop the streams whose send has waited longer than send_timeout for its browser."""
        now = time.monotonic()
        for subscriber in [s for s in self.subscribers if s.stalled(now, self.send_timeout)]:
            self.drop(subscriber, f"a send waited over {self.send_timeout:g} s")

    async def end_revoked(self) -> None:
        """End the streams whose credential ended (a revoked display or token, a disabled
        user, a logout, an expired session): one check for all open streams, in a thread."""
        held = frozenset(s.credential for s in self.subscribers if s.credential is not None)
        if self.check is None or not held:
            return
        gone = await asyncio.to_thread(self.check, held)
        for subscriber in list(self.subscribers):
            if subscriber.credential in gone:
                self.end(subscriber)
