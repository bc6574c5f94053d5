"""Incus operations: running ones with their progress, recent outcomes, and cancelling."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import ActorDep, ContextDep, OperationId, render_fragment, render_page
from webui.services.activity import operations
from webui.services.errors import SERVICE_ERRORS
from webui.views.operations import OPERATIONS

router = APIRouter()


@router.get("/operations", response_class=HTMLResponse, name="operations")
async def operations_page(request: Request) -> HTMLResponse:
    return render_page(request, "operations/index.html", [OPERATIONS], role=request.state.identity.role)


@router.post("/operations/{operation_id}/cancel", response_class=HTMLResponse, name="cancel_operation")
async def cancel(request: Request, ctx: ContextDep, who: ActorDep, operation_id: OperationId) -> HTMLResponse:
    """Ask Incus to cancel; the outcome arrives as an operation event, like any other."""
    operation = operations.require_operation(ctx, operation_id)
    try:
        await operations.cancel(ctx, who, operation_id)
    except SERVICE_ERRORS as exc:
        context = {"operation": operation, "error": exc.message, "role": who.role}
        return render_fragment(request, "operations/_row.html", 200, **context)
    return render_fragment(request, "operations/_row.html", operation=operation, requested=True, role=who.role)
