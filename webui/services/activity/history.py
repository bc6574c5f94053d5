"""Cluster history: Incus's lifecycle events about the cluster, kept with their requestor,
so changes made with the `incus` CLI show up beside the dashboard's own."""

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from webui.clock import now
from webui.incus.models import Event
from webui.models import ClusterEvent


def is_cluster_change(event: Event) -> bool:
    action = event.action
    return action.startswith("cluster-") or action == "config-updated"


def _store(engine: Engine, cluster: str, event: Event) -> None:
    meta = event.metadata
    requestor = meta.get("requestor") or {}
    with Session(engine) as session, session.begin():
        session.add(
            ClusterEvent(
                cluster=cluster,
                occurred_at=event.timestamp or now(),
                action=event.action,
                source=str(meta.get("source", "")),
                location=event.location,
                project=event.project,
                requestor_username=str(requestor.get("username", "")),
                requestor_protocol=str(requestor.get("protocol", "")),
                requestor_address=str(requestor.get("address", "")),
                context=meta.get("context") or {},
            )
        )


def recorder(engine: Engine, cluster: str) -> Callable[[Event], Awaitable[None]]:
    """An event handler for the watcher that stores `cluster`'s changes (off the event loop)."""

    async def record(event: Event) -> None:
        if event.type == "lifecycle" and is_cluster_change(event):
            await asyncio.to_thread(_store, engine, cluster, event)

    return record


def recent(engine: Engine, cluster: str, limit: int = 200) -> list[ClusterEvent]:
    with Session(engine) as session:
        query = select(ClusterEvent).where(ClusterEvent.cluster == cluster)
        query = query.order_by(ClusterEvent.occurred_at.desc()).limit(limit)
        return list(session.scalars(query))
