"""One SSE stream's mailbox, filled by the hub's fan-out and emptied by the stream's task
(`sse.py`): bounded, so a browser that stops reading is noticed rather than held in memory."""

import asyncio
import itertools

from webui.identity import Credential

# Numbers each publish of any hub (a wall's stream is in the hub of each cluster): a mailbox
# counts the changes its frames are from, however many frames one change drew.
next_change = itertools.count().__next__


class Subscriber:
    """One stream's mailbox. Frames wait in a list until the stream's task next runs, which
    sends them all in one write: one socket write a stream per change, however many fragments
    the change drew. A list and one future, not an asyncio.Queue (three deques and an Event,
    3 KiB a stream)."""

    __slots__ = (
        "topics", "owner", "credential", "size", "frames", "changes", "_change", "ended", "_wake", "task",
        "sending_since", "queued",
    )

    def __init__(
        self, topics: frozenset[str], size: int, owner: str = "", credential: Credential | None = None
    ) -> None:
        self.topics = topics  # with those every stream gets (`hub.with_common`)
        self.owner = owner  # who holds it (a user, a display), for the per-identity limit
        self.credential = credential
        self.size = size  # changes, not frames: one change draws a frame per row it touched
        self.frames: list[bytes] = []
        self.changes = 0  # how many changes the waiting frames are from
        self._change = -1  # the last one
        self.ended = False  # dropped, gone, or the server is shutting down
        self._wake: asyncio.Future[None] | None = None
        # The stream's task, and since when its send has been waiting for the browser to read
        # (set by the response): the hub cancels a send that waits too long, once, at its
        # heartbeat, instead of a timer around every send.
        self.task: asyncio.Task[None] | None = None
        self.sending_since: float | None = None
        self.queued = False  # in the hub's line of streams to wake

    def put(self, frame: bytes, change: int) -> bool:
        """Queue a frame of `change` (a `next_change()` number), for the hub to wake the task in
        its turn; False when frames of `size` other changes already wait (the browser stopped
        reading). Counted in changes: an upgrade redraws every row of a 100-member table at
        once, and a browser that reads is not dropped for it."""
        if change != self._change:
            if self.changes >= self.size:
                return False
            self.changes += 1
            self._change = change
        self.frames.append(frame)
        return True

    def waiting(self) -> bool:
        """Its task waits in take(): it sends what came only once woken."""
        return self._wake is not None and not self._wake.done()

    async def take(self) -> bytes | None:
        """Every frame queued since the last take, as one write; None once the stream ended."""
        while not self.frames and not self.ended:
            self._wake = asyncio.get_running_loop().create_future()
            await self._wake
        return None if self.ended else b"".join(self.taken())

    def taken(self) -> list[bytes]:
        """The frames waiting, now, leaving the mailbox empty."""
        frames, self.frames, self.changes = self.frames, [], 0
        return frames

    def end(self) -> None:
        """No more frames: the task's take() returns None, and a send it is stuck in is
        cancelled (it would wait for a browser that is not reading, or gone)."""
        self.ended = True
        self.taken()
        self.wake()
        if self.sending_since is not None and self.task is not None:
            self.task.cancel()

    def stalled(self, now: float, timeout: float) -> bool:
        return self.sending_since is not None and now - self.sending_since > timeout

    def wake(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

