"""Snapshot fields over PostgreSQL, from the watcher leader to the processes that follow it.

The leader writes each field that changed to `live_snapshot` (one row per field, as JSON) and,
in the same transaction, NOTIFYs the followers: with the new values when they fit in NOTIFY's
8,000 bytes, else with the names of the rows to read. PostgreSQL delivers notifications at
commit, in commit order, so a follower applies changes in the leader's order; one that starts,
reconnects or takes over reads every row first.
"""

import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any, get_type_hints

from psycopg import AsyncConnection
from pydantic import TypeAdapter
from sqlalchemy.engine import make_url

from webui.live.snapshot import ClusterSnapshot

CHANNEL = "incus_webui_snapshot"  # one per cluster: channel()
PAYLOAD_LIMIT = 7900  # bytes: NOTIFY refuses payloads of 8,000 or more
# Each process counts its own snapshot versions (they name its SSE events): not relayed.
LOCAL = frozenset({"version"})

Values = dict[str, Any]  # field name -> its value as JSON-compatible data


class SnapshotCodec:
    """Each relayed field of a ClusterSnapshot to JSON-compatible data and back, typed by the
    snapshot's own annotations. A field typed by a Protocol (the maintenance runs, defined by
    the services) needs its concrete type in `concrete`."""

    def __init__(self, concrete: Mapping[str, Any]) -> None:
        hints = get_type_hints(ClusterSnapshot)
        self.names = tuple(f.name for f in fields(ClusterSnapshot) if f.name not in LOCAL)
        self.adapters: dict[str, TypeAdapter[Any]] = {
            name: TypeAdapter(concrete.get(name, hints[name])) for name in self.names
        }

    def changed(self, before: ClusterSnapshot | None, after: ClusterSnapshot) -> list[str]:
        """The fields `after` changed since `before` (all of them after None)."""
        if before is None:
            return list(self.names)
        return [
            name
            for name in self.names
            if (old := getattr(before, name)) is not (new := getattr(after, name)) and old != new
        ]

    def dump(self, snapshot: ClusterSnapshot, names: Iterable[str]) -> Values:
        return {name: self.adapters[name].dump_python(getattr(snapshot, name), mode="json") for name in names}

    def load(self, values: Mapping[str, Any]) -> dict[str, object]:
        """Snapshot fields from dumped values; names this version does not know are skipped
        (a newer leader during a rolling update of the dashboards)."""
        return {name: self.adapters[name].validate_python(v) for name, v in values.items() if name in self.adapters}


def notification(values: Values) -> str:
    """NOTIFY's payload: the values themselves when they fit, else the names of their rows."""
    inline = json.dumps({"values": values}, separators=(",", ":"))
    if len(inline.encode()) < PAYLOAD_LIMIT:
        return inline
    return json.dumps({"read": sorted(values)}, separators=(",", ":"))


def parse(payload: str) -> tuple[Values, list[str]]:
    """A notification's (values carried, names of rows to read)."""
    message = json.loads(payload)
    return dict(message.get("values", {})), list(message.get("read", []))


def conninfo(database_url: str) -> str:
    """libpq's URI for a SQLAlchemy URL ("postgresql+psycopg://..." has a driver name in it)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def cluster_key(cluster: str) -> int:
    """A cluster's number, for what PostgreSQL names by numbers (its election's lock, its channel)."""
    return zlib.crc32(cluster.encode()) & 0x7FFFFFFF


def channel(cluster: str) -> str:
    """The NOTIFY channel of one cluster's snapshot (an identifier LISTEN takes unquoted)."""
    return f"{CHANNEL}_{cluster_key(cluster):08x}"


async def write(connection: AsyncConnection[Any], cluster: str, values: Values) -> None:
    """Keep `cluster`'s values and tell its followers, in one transaction (so at its commit)."""
    async with connection.transaction():
        async with connection.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO live_snapshot (cluster, field, body) VALUES (%s, %s, %s) "
                "ON CONFLICT (cluster, field) DO UPDATE SET body = EXCLUDED.body",
                [(cluster, name, json.dumps(value)) for name, value in values.items()],
            )
        await connection.execute("SELECT pg_notify(%s, %s)", (channel(cluster), notification(values)))


async def read(connection: AsyncConnection[Any], cluster: str, names: list[str] | None = None) -> Values:
    """`cluster`'s rows named, or all of them."""
    if names is None:
        cursor = await connection.execute("SELECT field, body FROM live_snapshot WHERE cluster = %s", (cluster,))
    else:
        cursor = await connection.execute(
            "SELECT field, body FROM live_snapshot WHERE cluster = %s AND field = ANY(%s)", (cluster, names)
        )
    return {name: json.loads(body) for name, body in await cursor.fetchall()}
