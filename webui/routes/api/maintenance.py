"""/api/v1/maintenance: evacuations and restores on record, with each instance's outcome."""

from typing import Any

from fastapi import APIRouter

from webui.auth.roles import can
from webui.incus.envelopes import ERRORS, Sync
from webui.routes.deps import ActorDep, ContextDep, EngineDep, HubDep, MaintenanceFiltersDep, OperationId
from webui.services.maintenance import listing as views

router = APIRouter(prefix="/api/v1/maintenance", tags=["maintenance"])


@router.get("", response_model=Sync[list[dict[str, Any]]])
async def list_maintenance(
    ctx: ContextDep, filters: MaintenanceFiltersDep
) -> Sync[list[dict[str, Any]]]:
    """Runs newest first; `member`, `kind` (evacuate, restore), `outcome` (running, succeeded,
    failed, cancelled), `since` and `until` (ISO 8601 start times) narrow them."""
    snapshot = ctx.hub.snapshot
    found = await views.runs(ctx.engine, ctx.cluster, snapshot, filters)
    return Sync[list[dict[str, Any]]](metadata=[views.as_json(run, snapshot) for run in found])


@router.get("/{operation_id}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def get_maintenance(
    engine: EngineDep, hub: HubDep, who: ActorDep, operation_id: OperationId
) -> Sync[dict[str, Any]]:
    """One run with its instances, and for auditors and admins its audit records (who asked,
    and the outcome)."""
    run, audit = await views.run_with_audit(engine, hub.snapshot, operation_id)
    allowed = who.identity is not None and can(who.identity.role, "audit")
    return Sync[dict[str, Any]](metadata=views.as_json(run, hub.snapshot, audit if allowed else None))
