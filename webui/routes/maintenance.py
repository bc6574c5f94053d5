"""The Maintenance page: evacuations and restores on record, and one run instance by instance."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from webui.auth.roles import can
from webui.routes.deps import (
    ActorDep,
    ContextDep,
    EngineDep,
    HubDep,
    IdentityDep,
    MaintenanceFiltersDep,
    OperationId,
    render_fragment,
    render_page,
)
from webui.services.maintenance import healing
from webui.services.maintenance import listing as views
from webui.views.audit import rows_view
from webui.views.maintenance import MAINTENANCE, asker, runs_view

router = APIRouter()


@router.get("/maintenance", response_class=HTMLResponse, name="maintenance")
async def maintenance(
    request: Request, ctx: ContextDep, identity: IdentityDep, filters: MaintenanceFiltersDep
) -> HTMLResponse:
    hub = ctx.hub
    found = await views.runs(ctx.engine, ctx.cluster, hub.snapshot, filters)
    healed, moves = await asyncio.to_thread(healing.history, ctx.engine, ctx.cluster)
    # The stream sends every run the snapshot holds, whatever the filters: only the unfiltered
    # list takes them (its length aside: a new run goes on top, and the oldest stays).
    live = not (filters.member or filters.kind or filters.outcome or filters.since or filters.until)
    return render_page(
        request, "maintenance/index.html", [MAINTENANCE] if live else [],
        runs=runs_view(hub.snapshot, found), filters=filters, healed=healed, moves=moves, live=live, role=identity.role,
    )


@router.get("/maintenance/{operation_id}", response_class=HTMLResponse, name="maintenance_run")
async def maintenance_run(
    request: Request, engine: EngineDep, hub: HubDep, identity: IdentityDep, operation_id: OperationId
) -> HTMLResponse:
    run, audit = await views.run_with_audit(engine, hub.snapshot, operation_id)
    audit = audit if can(identity.role, "audit") else []  # the audit log is for auditors
    return render_page(
        request, "maintenance/run.html", [], run=run, asked=asker(run, hub.snapshot), audit=rows_view(audit)
    )


@router.post("/maintenance/{operation_id}/acknowledge", name="acknowledge_maintenance", response_model=None)
async def acknowledge(
    request: Request, ctx: ContextDep, who: ActorDep, operation_id: OperationId
) -> HTMLResponse | RedirectResponse:
    """A failed run, seen: the button becomes who acknowledged it (the page, or the API's
    caller, is sent back to the list, which says so)."""
    run = await views.acknowledge(ctx, who, operation_id)
    if request.headers.get("HX-Request"):
        return render_fragment(request, "maintenance/_acknowledgement.html", run=run, role=who.role)
    return RedirectResponse(request.url_for("maintenance").path + f"#maintenance-run-{operation_id}", status_code=303)
