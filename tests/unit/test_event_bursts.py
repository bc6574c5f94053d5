"""A burst of events read at once (Incus stalled for seconds under a migration, then sent what
it held) must not fill the mailboxes of browsers that are reading: their streams take their
frames between events. Before, the watcher handled the whole burst in one turn of the loop,
and every open page was dropped as if it had stopped reading; a page whose browser then
waited to reconnect showed an evacuation stuck at EVACUATING 5/6. Events as a real 6.0.4
sent them (`recorded/evacuation_events.jsonl`)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.live_pages import PAGES
from tests.unit.replies import recorded_events
from webui.incus.models import Event, Operation
from webui.live.hub import Hub
from webui.live.watcher import Watcher
from webui.views.members import MEMBERS


class Burst:
    """An event stream whose events are all already received: reading one never waits."""

    def __init__(self, events: list[Event]) -> None:
        self.held = events
        self.read = asyncio.Event()

    @asynccontextmanager
    async def events(self) -> AsyncIterator[AsyncIterator[Event]]:
        async def each() -> AsyncIterator[Event]:
            for event in self.held:
                yield event
            self.read.set()
            await asyncio.Event().wait()  # then quiet, as a stream between changes

        yield each()

    async def operations(self) -> list[Operation]:
        return []


async def burst_to_a_reading_browser(events: list[Event]) -> tuple[int, int]:
    hub = Hub(lambda template, context: "", queue_size=8, pages=PAGES)
    subscriber = hub.subscribe([MEMBERS])
    taken = 0

    async def browser() -> None:
        nonlocal taken
        while await subscriber.take() is not None:
            taken += 1

    incus = Burst(events)
    watcher = Watcher(incus, hub)  # type: ignore[arg-type]
    tasks = [asyncio.create_task(browser()), asyncio.create_task(watcher._event_loop())]
    await asyncio.wait_for(incus.read.wait(), 5)
    await asyncio.sleep(0.01)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return hub.dropped, taken


def test_a_burst_of_events_does_not_drop_browsers_that_read():
    burst = [e for e in recorded_events("evacuation_events.jsonl") if e.type == "operation"]
    assert len(burst) > 3 * 8  # more changes than a mailbox holds, each drawing frames
    dropped, taken = asyncio.run(burst_to_a_reading_browser(burst))
    assert dropped == 0
    assert taken > 8
