"""A member's hardware section (`incus info --resources --target NAME`): read from Incus the
first time it is shown, then kept until someone presses Refresh."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import ContextDep, MemberName, render_fragment
from webui.services.context import Context
from webui.services.errors import SERVICE_ERRORS

router = APIRouter(prefix="/members/{name}/hardware")


@router.get("", response_class=HTMLResponse, name="member_hardware")
async def hardware(request: Request, ctx: ContextDep, name: MemberName) -> HTMLResponse:
    return await _section(request, ctx, name, refresh=False)


@router.post("", response_class=HTMLResponse, name="refresh_member_hardware")
async def refresh(request: Request, ctx: ContextDep, name: MemberName) -> HTMLResponse:
    return await _section(request, ctx, name, refresh=True)


async def _section(request: Request, ctx: Context, name: str, refresh: bool) -> HTMLResponse:
    """The section, or Incus's words when it could not answer (the kept reading stays kept)."""
    members = {m.server_name for m in ctx.hub.snapshot.members}
    if name not in members:
        missing = "Cluster member not found"
        return render_fragment(request, "members/_hardware.html", 404, name=name, hardware=None, error=missing)
    try:
        found = await ctx.hardware.get(ctx.client, name, members, refresh=refresh)
    except SERVICE_ERRORS as exc:  # Incus's own failure (a member it cannot reach) is not ours: 502
        status = exc.status if 400 <= exc.status < 500 else 502
        return render_fragment(request, "members/_hardware.html", status, name=name, hardware=None, error=exc.message)
    return render_fragment(request, "members/_hardware.html", name=name, hardware=found, error="")
