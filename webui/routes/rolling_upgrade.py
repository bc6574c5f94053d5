"""The guided rolling upgrade page: start it (mode chosen), follow each member's step, cancel."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import ActorDep, ContextDep, EngineDep, render_fragment, render_page
from webui.services import rolling_driver
from webui.services.errors import SERVICE_ERRORS
from webui.services.rolling_upgrade import refusal

router = APIRouter()


@router.get("/upgrade", response_class=HTMLResponse, name="rolling_upgrade")
async def page(request: Request, engine: EngineDep) -> HTMLResponse:
    found = await asyncio.to_thread(rolling_driver.active, engine)
    partial = request.headers.get("HX-Target") == "upgrade-status"
    template = "upgrade/_status.html" if partial else "upgrade/index.html"
    context = rolling_driver.view(found) | {
        "modes": rolling_driver.MODES,
        "refusal": refusal(request.state.hub.snapshot),
    }
    if partial:
        return render_fragment(request, template, identity=request.state.identity, **context)
    return render_page(request, template, [], **context)


@router.post("/upgrade/start", response_class=HTMLResponse, name="rolling_upgrade_start")
async def start(
    request: Request, ctx: ContextDep, who: ActorDep, mode: Annotated[str, Form()] = "auto"
) -> HTMLResponse:
    return await _act(request, ctx, rolling_driver.start(ctx, who, mode))


@router.post("/upgrade/cancel", response_class=HTMLResponse, name="rolling_upgrade_cancel")
async def cancel(request: Request, ctx: ContextDep, who: ActorDep) -> HTMLResponse:
    return await _act(request, ctx, rolling_driver.cancel(ctx, who))


async def _act(request: Request, ctx: ContextDep, call: object) -> HTMLResponse:
    error = ""
    try:
        await call  # type: ignore[misc]
    except SERVICE_ERRORS as exc:
        error = exc.message
    found = await asyncio.to_thread(rolling_driver.active, ctx.engine)
    context = rolling_driver.view(found) | {"modes": rolling_driver.MODES, "refusal": refusal(ctx.hub.snapshot)}
    return render_fragment(
        request, "upgrade/_status.html", 409 if error else 200, error=error, identity=request.state.identity, **context
    )
