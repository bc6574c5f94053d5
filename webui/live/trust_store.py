"""The trust store's certificate names, kept in the snapshot for the pages that name who asked
Incus for something (webui/services/accounts/people.py): read rarely, never per page view."""

import asyncio
import logging

from webui.incus.client import IncusClient
from webui.incus.errors import IncusError
from webui.live.hub import Hub

log = logging.getLogger(__name__)

# Read again this often (seconds), and at once after a `certificate-*` event: it only names
# who asked, and changes rarely.
EVERY = 300.0


class TrustStore:
    def __init__(self, client: IncusClient, hub: Hub) -> None:
        self.client = client
        self.hub = hub
        self._read_at: float | None = None  # loop time of the last read; None: read at the next round

    def changed(self) -> None:
        """A certificate was added, changed or removed: read the names again at the next round."""
        self._read_at = None

    async def refresh(self) -> None:
        """The names by fingerprint, when due, into the snapshot (only when they differ)."""
        at = asyncio.get_running_loop().time()
        if self._read_at is not None and at - self._read_at < EVERY:
            return
        self._read_at = at
        try:
            certificates = await self.client.certificates()
        except IncusError as exc:
            log.info("trust store not read: %s", exc.message)
            return
        names = {c.fingerprint: c.name for c in certificates if c.name}
        if names != self.hub.snapshot.trust_store:
            self.hub.update(self.hub.snapshot.evolve(trust_store=names))
