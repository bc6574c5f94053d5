"""Incus operations: running ones with their progress, recent outcomes, and cancelling."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.cluster_actions import cancel_operation
from webui.incus.errors import IncusError
from webui.live.hub import OPERATIONS
from webui.routes.deps import ActorDep, AuditDep, HubDep, IncusDep, WatcherDep, render_fragment, render_page

router = APIRouter()


@router.get("/operations", response_class=HTMLResponse, name="operations")
async def operations(request: Request) -> HTMLResponse:
    return render_page(request, "operations/index.html", [OPERATIONS])


@router.post("/operations/{operation_id}/cancel", response_class=HTMLResponse, name="cancel_operation")
async def cancel(
    request: Request, hub: HubDep, client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep,
    operation_id: str,
) -> HTMLResponse:
    """Ask Incus to cancel; the outcome arrives as an operation event, like any other."""
    operation = hub.snapshot.operation(operation_id)
    if operation is None:
        raise IncusError(404, "Operation not found (finished ones are forgotten after a while)")
    try:
        await cancel_operation(client, watcher, audit, who, operation_id)
    except IncusError as exc:
        return render_fragment(request, "operations/_row.html", 200, operation=operation, error=exc.message)
    return render_fragment(request, "operations/_row.html", operation=operation, requested=True)
