"""Cluster history: lifecycle events Incus reported, including those made with the CLI."""

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import ContextDep, render_page
from webui.services.accounts.people import requested_by
from webui.services.activity.history import recent

router = APIRouter()


@router.get("/history", response_class=HTMLResponse, name="history")
async def history(request: Request, ctx: ContextDep) -> HTMLResponse:
    events = await asyncio.to_thread(recent, ctx.engine, ctx.cluster)
    snapshot = request.state.hub.snapshot
    asked = [(event, requested_by(event, snapshot)) for event in events]
    return render_page(request, "history/index.html", [], events=asked)
