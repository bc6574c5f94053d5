"""The Maintenance page: evacuations and restores on record, and one run instance by instance."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from webui.auth.roles import can
from webui.routes.deps import ActorDep, ContextDep, EngineDep, HubDep, IdentityDep, MaintenanceFiltersDep, render_page
from webui.services import healing
from webui.services import maintenance_views as views

router = APIRouter()


@router.get("/maintenance", response_class=HTMLResponse, name="maintenance")
async def maintenance(request: Request, engine: EngineDep, hub: HubDep, filters: MaintenanceFiltersDep) -> HTMLResponse:
    found = await views.runs(engine, hub.snapshot, filters)
    healed, moves = await asyncio.to_thread(healing.history, engine)
    return render_page(request, "maintenance/index.html", [], runs=found, filters=filters, healed=healed, moves=moves)


@router.get("/maintenance/{operation_id}", response_class=HTMLResponse, name="maintenance_run")
async def maintenance_run(
    request: Request, engine: EngineDep, hub: HubDep, identity: IdentityDep, operation_id: str
) -> HTMLResponse:
    run, audit = await views.run_with_audit(engine, hub.snapshot, operation_id)
    audit = audit if can(identity.role, "audit") else []  # the audit log is for auditors
    return render_page(request, "maintenance/run.html", [], run=run, audit=audit)


@router.post("/maintenance/{operation_id}/acknowledge", name="acknowledge_maintenance")
async def acknowledge(request: Request, ctx: ContextDep, who: ActorDep, operation_id: str) -> RedirectResponse:
    """A failed run, seen: back to the page it was acknowledged on, which says by whom."""
    await views.acknowledge(ctx, who, operation_id)
    return RedirectResponse(request.url_for("maintenance").path + f"#maintenance-run-{operation_id}", status_code=303)
