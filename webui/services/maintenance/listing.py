"""Maintenance runs for pages and /api/v1: from the database, with the live ones (their
percentages) from the snapshot, and each run's audit records; acknowledging a failure."""

import asyncio
from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import Engine

from webui.audit.log import as_dict
from webui.clock import now
from webui.identity import Actor
from webui.live.snapshot import ClusterSnapshot
from webui.services.accounts import people
from webui.services.context import Context
from webui.services.errors import Refused
from webui.services.maintenance import store
from webui.services.maintenance.runs import MaintenanceRun


def _live(snapshot: ClusterSnapshot, run: MaintenanceRun) -> MaintenanceRun:
    """The run as the snapshot has it (its percentages), acknowledged as the database says:
    an acknowledgement reaches the snapshot only at the watching process's next look."""
    shown = next((r for r in snapshot.maintenance if r.operation_id == run.operation_id), None)
    if not isinstance(shown, MaintenanceRun):
        return run
    return replace(shown, acknowledged_at=run.acknowledged_at, acknowledged_by=run.acknowledged_by)


async def runs(engine: Engine, cluster: str, snapshot: ClusterSnapshot, filters: store.Filters) -> list[MaintenanceRun]:
    """`cluster`'s runs on record, as the snapshot shows the live ones."""
    return [_live(snapshot, run) for run in await asyncio.to_thread(store.search, engine, cluster, filters)]


async def run_with_audit(
    engine: Engine, snapshot: ClusterSnapshot, operation_id: str
) -> tuple[MaintenanceRun, list[Any]]:
    run = await asyncio.to_thread(store.load, engine, operation_id)
    if run is None:
        raise Refused(404, "Maintenance run not found")
    return _live(snapshot, run), await asyncio.to_thread(store.audit_records, engine, operation_id)


def as_json(run: MaintenanceRun, snapshot: ClusterSnapshot, audit: list[Any] | None = None) -> dict[str, Any]:
    """A run for /api/v1, with its totals and who asked in words (beside Incus's raw
    `requestor` and the dashboard `account`), and its audit records when asked for one run."""
    asked = people.asked_by(run, snapshot).words if run.requestor or run.account else ""
    data = asdict(run) | {"done": run.done, "total": run.total, "asked_by": asked}
    if audit is not None:
        data["audit"] = [as_dict(record) for record in audit]
    return data


async def acknowledge(ctx: Context, who: Actor, operation_id: str) -> MaintenanceRun:
    """Note that someone saw a failed run: the wall display stops showing it in red (the
    watching process reads it from the database, whichever process took it)."""
    name = who.identity.name if who.identity else ""
    async with ctx.audit.action(who, "acknowledge-maintenance", operation_id):
        run = await asyncio.to_thread(store.acknowledge, ctx.engine, operation_id, name, now())
        if run is None:
            raise Refused(409, "Only a failed run nobody has acknowledged yet can be acknowledged")
    return run
