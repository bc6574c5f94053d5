"""Every stream ends with the last change, however publishes and sends interleave: a stream
mid-send when a change comes, one not started yet, several changes in one turn of the loop.
A lost wake-up would leave a browser showing an old page while its stream stays open (what a
live browser test sees as "not shown in 30 s")."""

import asyncio
import random

import pytest

from webui.live.hub import Hub, Message
from webui.live.mailbox import Subscriber
from webui.views.members import MEMBERS


async def stream(subscriber: Subscriber, rng: random.Random, last: dict[Subscriber, bytes]) -> None:
    """A stream's task as the response runs it, its sends taking no time, a turn, or a while."""
    subscriber.task = asyncio.current_task()
    while (frames := await subscriber.take()) is not None:
        last[subscriber] = frames.rsplit(b"|", 2)[-2]
        subscriber.sending_since = 0.0
        if (r := rng.random()) < 0.3:
            await asyncio.sleep(rng.random() / 1000)
        elif r < 0.6:
            await asyncio.sleep(0)
        subscriber.sending_since = None


async def publish_at_random(streams: int, changes: int, seed: int) -> tuple[bytes, dict[Subscriber, bytes]]:
    rng = random.Random(seed)
    hub = Hub(lambda template, context: "", queue_size=changes * 3)
    subscribers = [hub.subscribe([MEMBERS]) for _ in range(streams)]
    last: dict[Subscriber, bytes] = {}
    tasks = []
    change = b""
    for n in range(changes):
        if n == changes // 10:  # some streams start while changes are coming
            tasks = [asyncio.create_task(stream(s, rng, last)) for s in subscribers]
        for _ in range(rng.randint(1, 3)):  # several in one turn of the loop
            change = f"{n}.{rng.random()}".encode()
            hub.publish([Message(MEMBERS, change + b"|")])
        if (r := rng.random()) < 0.5:
            await asyncio.sleep(0)
        elif r < 0.8:
            await asyncio.sleep(rng.random() / 500)
    await asyncio.sleep(0.05)  # and one change alone, to streams all waiting
    change = b"last"
    hub.publish([Message(MEMBERS, change + b"|")])
    await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return change, last


@pytest.mark.parametrize("streams", [3, 200])
def test_every_stream_ends_with_the_last_change(streams):
    change, last = asyncio.run(publish_at_random(streams, changes=600, seed=streams))
    assert len(last) == streams
    assert [value for value in last.values() if value != change] == []
