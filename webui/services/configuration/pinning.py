"""The pinned cluster certificate, shared by every dashboard process through the database.

When the cluster certificate is replaced (from this process, another one, or the incus CLI),
new TLS connections to Incus fail the old pin. The certificate to trust next is only ever
learnt over a channel already trusted: the reply of a member that passed the old pin (the
process that replaced it, or one hearing Incus's `cluster-certificate-updated` event over its
pinned connection), kept in the database for the others; or the configured file, read again
(the incus CLI's `servercerts/REMOTE.crt`, which `incus cluster update-certificate` rewrites).
Never the first certificate a member happens to present.
"""

import logging
from collections.abc import Awaitable, Callable

import anyio.to_thread
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webui.clock import now
from webui.incus.client import IncusClient
from webui.incus.errors import IncusError
from webui.incus.models import Event, Server
from webui.incus.transport import Connection, PinSource
from webui.models import PinnedCertificate
from webui.services.configuration.certificates import describe

log = logging.getLogger(__name__)


def stored(engine: Engine, cluster: str) -> str:
    """The certificate pinned for `cluster` (the row's name is the cluster's)."""
    with Session(engine) as session:
        return session.scalar(select(PinnedCertificate.certificate).where(PinnedCertificate.name == cluster)) or ""


def store(engine: Engine, cluster: str, certificate: str) -> None:
    """Every process hears Incus's event of a new certificate and stores it, at about the same
    time: the one that loses the race to insert the first row updates it instead."""
    for attempt in (1, 2):
        try:
            with Session(engine) as session, session.begin():
                row = session.get(PinnedCertificate, cluster) or PinnedCertificate(name=cluster)
                row.certificate = certificate
                row.fingerprint = describe(certificate).fingerprint
                row.updated_at = now()
                session.add(row)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def candidates(engine: Engine, cluster: str, connection: Connection) -> list[str]:
    """What to trust when the pin fails, in order: the database's, then the configured file."""
    found = [stored(engine, cluster)]
    if connection.server_cert is not None and connection.server_cert.exists():
        found.append(connection.server_cert.read_text())
    return [pem for pem in found if pem]


def pin_source(engine: Engine, cluster: str, connection: Connection) -> PinSource:
    async def source() -> list[str]:
        return await anyio.to_thread.run_sync(candidates, engine, cluster, connection)

    return source


async def trust(client: IncusClient, engine: Engine, cluster: str, certificate: str) -> None:
    """Pin `certificate` here and for every other process."""
    await anyio.to_thread.run_sync(store, engine, cluster, certificate)
    client.transport.repin(certificate)


def certificate_follower(client: IncusClient, engine: Engine, cluster: str) -> Callable[[Event], Awaitable[None]]:
    """A watcher event handler: when Incus says the cluster certificate was replaced, read the
    new one from `/1.0` over a connection the old pin still vouches for, and trust it."""

    async def follow(event: Event) -> None:
        if event.type != "lifecycle" or event.action != "cluster-certificate-updated" or client.transport.is_unix:
            return
        try:
            certificate = Server.model_validate(await client.server()).certificate
        except IncusError as exc:  # no trusted connection left: the database or the file will tell
            log.warning("could not read the new cluster certificate: %s", exc.message)
            return
        if certificate and certificate.strip() != client.transport.pinned.strip():
            log.warning("Incus replaced the cluster certificate: now trusting %s", describe(certificate).fingerprint)
            await trust(client, engine, cluster, certificate)

    return follow
