"""/api/v1/operations: running operations, the outcome of finished ones, and cancelling."""

from typing import Any

from fastapi import APIRouter

from webui.incus.envelopes import ERRORS, Sync
from webui.incus.models import Operation
from webui.routes.deps import ActorDep, ContextDep, HubDep, OperationId
from webui.services.activity import operations
from webui.services.configuration.secrets import operation_for

router = APIRouter(prefix="/api/v1/operations", tags=["operations"])


@router.get("", response_model=Sync[dict[str, list[Operation]]])
async def list_operations(hub: HubDep, who: ActorDep) -> Sync[dict[str, list[Operation]]]:
    """Running operations, and finished ones for a while after Incus forgot them. Pending
    join tokens are the running ones of class `token` (their secret for admins only)."""
    grouped: dict[str, list[Operation]] = {}
    for operation in hub.snapshot.operations:
        grouped.setdefault(operation.status.lower(), []).append(operation_for(who.role, operation))
    return Sync[dict[str, list[Operation]]](metadata=grouped)


@router.get("/{operation_id}", response_model=Sync[Operation], responses=ERRORS)
async def get_operation(ctx: ContextDep, who: ActorDep, operation_id: OperationId) -> Sync[Operation]:
    operation = ctx.hub.snapshot.operation(operation_id) or await ctx.client.operation(operation_id)
    return Sync[Operation](metadata=operation_for(who.role, operation))


@router.delete("/{operation_id}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def delete_operation(ctx: ContextDep, who: ActorDep, operation_id: OperationId) -> Sync[dict[str, Any]]:
    """Cancel an operation, where Incus allows it (`may_cancel`); Incus answers the others."""
    await operations.cancel(ctx, who, operation_id)
    return Sync[dict[str, Any]](metadata={})
