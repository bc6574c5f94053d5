"""Incus's warnings (`incus warning list`), kept in the snapshot: read at every slow round and
at once after a `warning-*` event. Incus raises a warning, or counts one seen again, without
any event (only acknowledging, resetting and deleting send one: `shared/api/event_lifecycle.go`
has no `warning-created`), so the round finds those."""

import logging

from webui.incus.client import IncusClient
from webui.incus.errors import IncusError
from webui.incus.models import Event
from webui.live.hub import Hub

log = logging.getLogger(__name__)


class Warnings:
    def __init__(self, client: IncusClient, hub: Hub) -> None:
        self.client = client
        self.hub = hub

    async def refresh(self) -> None:
        """One list, oldest first, into the snapshot only when it differs (a page redraws then)."""
        try:
            found = await self.client.warnings()
        except IncusError as exc:
            log.info("warnings not read: %s", exc.message)  # the last list stays shown
            return
        ordered = tuple(sorted(found, key=lambda w: (w.first_seen_at is None, w.first_seen_at, w.uuid)))
        if ordered != self.hub.snapshot.warnings:
            self.hub.update(self.hub.snapshot.evolve(warnings=ordered))

    async def on_event(self, event: Event) -> None:
        """`warning-acknowledged`, `-reset`, `-deleted` (and any other `warning-*`): read again now."""
        if event.action.startswith("warning-"):
            await self.refresh()
