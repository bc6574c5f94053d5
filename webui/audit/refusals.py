"""Refused anonymous requests, folded: one audit record per address and minute, with a count.

Anyone who can reach the port can send requests the dashboard refuses (CSRF), and each was a
signed audit record: 200 token-less POSTs with a 3 KB path and a 7 KB User-Agent wrote 200
records in 2.4 s. Now each refusal adds one to its address's row for the minute (an atomic
upsert, so every dashboard process counts into the same row), and once the minute is over the
row becomes one record, written in the transaction that holds the audit chain and deletes the
row: written once whatever the processes, and never lost to a crash between the two. Past
MAX_ADDRESSES addresses in one minute, the others share one row ("*")."""

import asyncio
from datetime import datetime

import anyio.to_thread
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from webui.audit.log import AuditLog, AuditUnavailable
from webui.clock import now
from webui.db import IMMEDIATE
from webui.identity import Actor
from webui.models import AuditRecord, AuditRefusal

MAX_ADDRESSES = 100  # rows a minute: the records one minute of refusals can write
FOLD_EVERY = 15.0  # seconds between looks for minutes that are over


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def count_refusal(engine: Engine, actor: Actor, action: str, target: str, reason: str) -> None:
    """One more refused anonymous request from the actor's address in this minute."""
    minute = _minute(now())
    address = actor.source_address[:100]
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    with engine.execution_options(**IMMEDIATE).begin() as connection:
        key = f"{minute.isoformat()} {address}"
        known = connection.scalar(select(AuditRefusal.key).where(AuditRefusal.key == key))
        if known is None:
            rows = connection.scalar(select(func.count()).where(AuditRefusal.minute == minute)) or 0
            if rows >= MAX_ADDRESSES:
                address, key = "*", f"{minute.isoformat()} *"
        first = {
            "key": key, "minute": minute, "address": address, "forwarded_for": actor.forwarded_for[:100], "count": 1,
            "action": action[:100], "target": target[:255], "user_agent": actor.user_agent[:200], "error": reason[:200],
        }
        connection.execute(
            insert(AuditRefusal)
            .values(**first)
            .on_conflict_do_update(index_elements=[AuditRefusal.key], set_={"count": AuditRefusal.count + 1})
        )


def fold(audit: AuditLog, before: datetime | None = None) -> list[AuditRecord]:
    """Write the counted refusals of minutes before `before` (default: the current minute) as
    one record each, and forget them; the records written."""
    before = before or _minute(now())
    # The log's own transaction and steps (as operation_finished uses them): the rows are
    # read, written and deleted while this process alone holds the chain.
    with audit._chain() as db:
        rows = list(db.scalars(select(AuditRefusal).where(AuditRefusal.minute < before).order_by(AuditRefusal.key)))
        records = []
        for row in rows:
            records.append(
                audit._add(
                    db,
                    {
                        "source_address": "" if row.address == "*" else row.address,
                        "forwarded_for": row.forwarded_for,
                        "user_agent": row.user_agent,
                        "action": row.action,
                        "target": row.target,
                        "outcome": "denied",
                        "error": row.error,
                        "parameters": {
                            "refused": row.count,
                            "minute": row.minute.isoformat(timespec="minutes"),
                            **({"addresses": f"more than {MAX_ADDRESSES}"} if row.address == "*" else {}),
                        },
                    },
                )
            )
        if rows:
            db.execute(delete(AuditRefusal).where(AuditRefusal.key.in_([row.key for row in rows])))
    for record in records:
        audit._appended(record)
    return records


async def fold_every(audit: AuditLog, seconds: float = FOLD_EVERY) -> None:
    """The lifespan's task: fold each minute once it is over (any process may; each row is
    written once)."""
    while True:
        try:
            await anyio.to_thread.run_sync(fold, audit)
        except AuditUnavailable:
            pass  # the rows stay counted, for the next try; the banner says why
        await asyncio.sleep(seconds)

