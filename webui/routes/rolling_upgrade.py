"""The guided rolling upgrade page: confirm the plan (mode and version chosen) and start it,
follow each member's step, cancel."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from webui.live.snapshot import ClusterSnapshot
from webui.routes.deps import ActorDep, ContextDep, HubDep, render_fragment, render_page
from webui.services.errors import SERVICE_ERRORS
from webui.services.upgrade import driver as rolling_driver
from webui.services.upgrade.plan import each_member, nothing_to_do, propose, refusal
from webui.services.upgrade.status import upgrade_status

router = APIRouter()


def _status(snapshot: ClusterSnapshot, found: tuple[int, str, Any] | None) -> dict[str, Any]:
    """What `upgrade/_status.html` shows: the members' versions, the upgrade on record, and
    whether one may start."""
    may = {"refusal": refusal(snapshot), "nothing": nothing_to_do(snapshot)}
    return rolling_driver.view(found) | {"status": upgrade_status(snapshot)} | may


@router.get("/upgrade", response_class=HTMLResponse, name="rolling_upgrade")
async def page(request: Request, ctx: ContextDep) -> HTMLResponse:
    found = await asyncio.to_thread(rolling_driver.active, ctx.engine, ctx.cluster)
    context = _status(request.state.hub.snapshot, found)
    if request.headers.get("HX-Target") == "upgrade-status":
        return render_fragment(request, "upgrade/_status.html", **context)
    return render_page(request, "upgrade/index.html", [], **context)


def _dialog(snapshot: ClusterSnapshot, mode: str, target: str) -> dict[str, Any]:
    mode = mode if mode in rolling_driver.MODES else "auto"
    return {
        "proposal": propose(snapshot, mode, target),
        "uniform": upgrade_status(snapshot).uniform,
        "each": each_member(mode),
        "mode": mode,
        "modes": rolling_driver.MODES,
        "typed": target,
    }


@router.get("/upgrade/start", response_class=HTMLResponse, name="rolling_upgrade_dialog")
async def dialog(request: Request, hub: HubDep, mode: str = "auto", target: str = "") -> HTMLResponse:
    """The confirmation: the plan in words (order and why, what happens to each member)."""
    partial = request.headers.get("HX-Target") == "upgrade-plan"
    return render_fragment(request, "upgrade/_start.html", partial=partial, **_dialog(hub.snapshot, mode, target))


@router.post("/upgrade/start", response_class=HTMLResponse, name="rolling_upgrade_start")
async def start(
    request: Request,
    ctx: ContextDep,
    who: ActorDep,
    mode: Annotated[str, Form()] = "auto",
    target: Annotated[str, Form()] = "",
) -> HTMLResponse:
    try:
        await rolling_driver.start(ctx, who, mode, target)
    except SERVICE_ERRORS as exc:
        context = _dialog(ctx.hub.snapshot, mode, target)
        return render_fragment(request, "upgrade/_start.html", 409, error=exc.message, partial=False, **context)
    found = await asyncio.to_thread(rolling_driver.active, ctx.engine, ctx.cluster)
    return render_fragment(request, "upgrade/_started.html", **_status(ctx.hub.snapshot, found))


@router.post("/upgrade/cancel", response_class=HTMLResponse, name="rolling_upgrade_cancel")
async def cancel(request: Request, ctx: ContextDep, who: ActorDep) -> HTMLResponse:
    error = ""
    try:
        await rolling_driver.cancel(ctx, who)
    except SERVICE_ERRORS as exc:
        error = exc.message
    found = await asyncio.to_thread(rolling_driver.active, ctx.engine, ctx.cluster)
    return render_fragment(
        request,
        "upgrade/_status.html",
        409 if error else 200,
        error=error,
        **_status(ctx.hub.snapshot, found),
    )
