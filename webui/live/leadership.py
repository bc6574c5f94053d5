"""One watcher per deployment. Dashboard processes sharing a PostgreSQL database elect one,
the holder of an advisory lock on a connection of its own, to watch Incus; the others take
its snapshot changes through LISTEN/NOTIFY (relay.py) into their own hub, so their streams
behave as the leader's do. Incus then sees one watcher however many processes serve pages.

When the leader dies its session ends and PostgreSQL frees the lock; the followers try for it
every `retry` seconds, and the one that gets it reads the last snapshot kept, starts its
watcher (which resyncs at once) and publishes from then on. A leader that loses its
connection stops watching at once: it can no longer publish, and another may lead already.
With SQLite (one host) there is no election: each process watches, as it always did.
"""

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg.conninfo import make_conninfo

from webui.live import relay
from webui.live.hub import Hub
from webui.live.relay import SnapshotCodec
from webui.live.trends import Trends

log = logging.getLogger(__name__)

# pg_try_advisory_lock(LOCK_KEY, cluster_key(cluster)): "incu" in ASCII, and the cluster's
# number: one election per cluster. Advisory locks are per database, so two deployments on one
# PostgreSQL server, in two databases, elect a leader each.
LOCK_KEY = 0x696E6375
RETRY = 1.0  # seconds between a follower's tries, and between a leader's checks of its connection
# pg_stat_activity's application_name of each process's election connection: "incus-webui host:pid".
APPLICATION = "incus-webui"


def leader_query(cluster: str) -> str:
    """Which process holds `cluster`'s lock, as PostgreSQL sees it (two int keys: objsubid 2)."""
    return (
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        f"WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {LOCK_KEY} "
        f"AND l.objid = {relay.cluster_key(cluster)} AND l.objsubid = 2"
    )


# A process that dies has its connection closed by its kernel: PostgreSQL frees the lock at once.
# A host that vanishes sends nothing more: both ends then give up on the connection after about
# 2 + 2 x 1 s of silence (TCP keepalives, set for the server's side of the session too) or 3 s
# of unanswered sends, instead of the system's two hours.
KEEPALIVES: dict[str, str | int] = {
    "keepalives": 1,
    "keepalives_idle": 2,
    "keepalives_interval": 1,
    "keepalives_count": 2,
    "tcp_user_timeout": 3000,
    "options": "-c tcp_keepalives_idle=2 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=2"
    " -c tcp_user_timeout=3000",
}


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    def __init__(
        self,
        conninfo: str,
        cluster: str,
        hub: Hub,
        codec: SnapshotCodec,
        trends: Trends,
        lead: Callable[[], None],
        follow: Callable[[], Awaitable[None]],
        retry: float = RETRY,
    ) -> None:
        self.conninfo = conninfo
        self.cluster = cluster  # whose watcher this elects
        self.hub = hub
        self.codec = codec
        self.trends = trends  # fed from the leader's samples, as the watcher feeds the leader's
        self.lead = lead  # start watching Incus
        self.follow = follow  # stop watching it
        self.retry = retry
        self.name = process_name()
        self.leading = False
        self._changed = asyncio.Event()
        hub.on_update.append(lambda snapshot: self._changed.set())

    async def run(self) -> None:
        """Follow, lead when elected, and start over whenever the database connection ends."""
        while True:
            try:
                async with await self._connect(f"{APPLICATION} {self.name}") as connection:
                    await self._follow(connection)
                    await self._lead(connection)
            except (psycopg.Error, OSError) as exc:
                log.warning("watcher election: lost the database connection (%s); again in %g s", exc, self.retry)
            except Exception:  # a bug, or a snapshot this version cannot read: start over, never stop
                log.exception("watcher election failed; again in %g s", self.retry)
            finally:
                await self._step_down()
            await asyncio.sleep(self.retry)

    async def _connect(self, application: str) -> AsyncConnection[Any]:
        conninfo = make_conninfo(self.conninfo, application_name=application[:63], **KEEPALIVES)
        return await AsyncConnection.connect(conninfo, autocommit=True)

    async def _follow(self, connection: AsyncConnection[Any]) -> None:
        """Apply the leader's changes until this process gets the lock."""
        async with await self._connect(f"{APPLICATION}-listener {self.name}") as listener:
            await listener.execute(f"LISTEN {relay.channel(self.cluster)}")
            self._apply(await relay.read(connection, self.cluster))  # listening first: nothing falls between
            listening = asyncio.create_task(self._listen(listener, connection), name="watcher-follower")
            try:
                followed = None
                while not await self._try_lock(connection):
                    if (current := await leader(connection, self.cluster)) != followed:
                        log.info("following the watcher leader %s", current or "(none yet)")
                        followed = current
                    await asyncio.wait({listening}, timeout=self.retry)
                    if listening.done():
                        listening.result()  # its error; or it ended with the connection:
                        raise ConnectionError("the notification connection ended")
            finally:
                listening.cancel()
                await asyncio.gather(listening, return_exceptions=True)

    async def _listen(self, listener: AsyncConnection[Any], connection: AsyncConnection[Any]) -> None:
        async for note in listener.notifies():
            values, names = relay.parse(note.payload)
            if names:
                values |= await relay.read(connection, self.cluster, names)
            self._apply(values)

    async def _try_lock(self, connection: AsyncConnection[Any]) -> bool:
        cursor = await connection.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_KEY, relay.cluster_key(self.cluster))
        )
        row = await cursor.fetchone()
        return bool(row and row[0])

    def _apply(self, values: relay.Values) -> None:
        if changed := self.codec.load(values):
            before = self.hub.snapshot
            snapshot = before.evolve(**changed)
            new = [name for name, state in snapshot.states.items() if before.states.get(name) != state]
            self.trends.sample(snapshot, new)
            self.hub.update(snapshot)

    async def _lead(self, connection: AsyncConnection[Any]) -> None:
        """Watch Incus and publish each change, until the connection (and so the lock) is lost."""
        self._apply(await relay.read(connection, self.cluster))  # the last leader's final word
        self.leading = True
        log.warning("watcher leader: this process (%s) now watches Incus for every dashboard process", self.name)
        self.lead()
        published = None
        while True:
            try:
                await asyncio.wait_for(self._changed.wait(), self.retry)
            except TimeoutError:
                await connection.execute("SELECT 1")  # the lock lives as long as this session
                continue
            self._changed.clear()
            snapshot = self.hub.snapshot
            if names := self.codec.changed(published, snapshot):
                await relay.write(connection, self.cluster, self.codec.dump(snapshot, names))
            published = snapshot

    async def _step_down(self) -> None:
        if self.leading:
            self.leading = False
            log.warning("watcher leader: this process (%s) stopped watching Incus", self.name)
            await self.follow()


async def leader(connection: AsyncConnection[Any], cluster: str) -> str:
    """The process holding `cluster`'s lock ("host:pid"), or "" when none does."""
    cursor = await connection.execute(leader_query(cluster))
    return leader_name(await cursor.fetchone())


def electorate_query() -> str:
    """How many dashboard processes take part in the election (one election connection each)."""
    return f"SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '{APPLICATION} %'"


def leader_name(row: Any) -> str:
    """"host:pid" from leader_query()'s row (None: no process leads)."""
    return str(row[0]).removeprefix(APPLICATION).strip() if row else ""
