"""The Warnings page: Incus's warnings, filtered by member, severity and status; Acknowledge
(operators and admins) in the row, Delete (admins) through a confirmation dialog."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import ActorDep, ContextDep, WarningFiltersDep, WarningUuid, render_fragment, render_page
from webui.services.errors import SERVICE_ERRORS
from webui.services.warnings import changes
from webui.services.warnings.listing import require
from webui.views.warnings import WARNINGS, filters_view, table_view

router = APIRouter(prefix="/warnings")


@router.get("", response_class=HTMLResponse, name="warnings")
async def warnings_page(request: Request, filters: WarningFiltersDep) -> HTMLResponse:
    snapshot = request.state.hub.snapshot
    role = request.state.identity.role
    context: dict[str, Any] = table_view(snapshot, role, filters) | filters_view(snapshot, filters)
    return render_page(request, "warnings/index.html", [WARNINGS], **context)


@router.post("/{uuid}/acknowledge", response_class=HTMLResponse, name="acknowledge_warning")
async def acknowledge(request: Request, ctx: ContextDep, who: ActorDep, uuid: WarningUuid) -> HTMLResponse:
    """`incus warning acknowledge`: the table comes back as Incus has it now, the result in the
    warning's row. The table, not the row: the live table may have replaced the row already."""
    require(ctx.hub.snapshot, uuid)
    result = {"uuid": uuid, "error": "", "done": "Acknowledged"}
    try:
        await changes.set_status(ctx, who, uuid, "acknowledged")
    except SERVICE_ERRORS as exc:
        result = {"uuid": uuid, "error": exc.message, "done": ""}
    context = table_view(ctx.hub.snapshot, who.role)
    return render_fragment(request, "warnings/_table.html", result=result, **context)


@router.get("/{uuid}/delete", response_class=HTMLResponse, name="warning_delete_dialog")
async def delete_dialog(request: Request, ctx: ContextDep, uuid: WarningUuid) -> HTMLResponse:
    return render_fragment(request, "warnings/_delete.html", warning=require(ctx.hub.snapshot, uuid))


@router.post("/{uuid}/delete", response_class=HTMLResponse, name="warning_delete")
async def delete(request: Request, ctx: ContextDep, who: ActorDep, uuid: WarningUuid) -> HTMLResponse:
    """`incus warning delete`: the dialog says it is gone, or why Incus refused."""
    warning = require(ctx.hub.snapshot, uuid)
    try:
        await changes.delete(ctx, who, uuid)
    except SERVICE_ERRORS as exc:
        return render_fragment(request, "warnings/_delete.html", exc.status, warning=warning, error=exc.message)
    return render_fragment(request, "warnings/_delete.html", warning=warning, deleted=True)
