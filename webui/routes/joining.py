"""Joining and renaming members: `incus cluster add NAME` (a join token, shown once),
`list-tokens`, `revoke-token` and `rename`. Admin only."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import ActorDep, ContextDep, OperationId, render_fragment, render_page
from webui.services.errors import SERVICE_ERRORS
from webui.services.members import join_tokens

router = APIRouter(prefix="/cluster/joining")


@router.get("", response_class=HTMLResponse, name="joining")
async def joining(request: Request) -> HTMLResponse:
    return render_page(request, "joining/index.html", [], error="", created=None, typed={})


@router.post("/tokens", response_class=HTMLResponse, name="token_create")
async def create(request: Request, ctx: ContextDep, who: ActorDep) -> HTMLResponse:
    name = str((await request.form()).get("name", ""))
    try:
        _, created = await join_tokens.create(ctx, who, name)
    except SERVICE_ERRORS as exc:
        typed = {"name": name}
        return render_fragment(request, "joining/_tokens.html", 422, error=exc.message, created=None, typed=typed)
    # The token is in this reply only: never stored, never streamed, never logged.
    return render_fragment(request, "joining/_tokens.html", error="", created=created, typed={})


@router.post("/tokens/{operation_id}/revoke", response_class=HTMLResponse, name="token_revoke")
async def revoke(request: Request, ctx: ContextDep, who: ActorDep, operation_id: OperationId) -> HTMLResponse:
    try:
        await join_tokens.revoke(ctx, who, operation_id)
    except SERVICE_ERRORS as exc:
        return render_fragment(request, "joining/_tokens.html", 422, error=exc.message, created=None, typed={})
    return render_fragment(request, "joining/_tokens.html", error="", created=None, typed={})


@router.post("/rename", response_class=HTMLResponse, name="member_rename")
async def rename(request: Request, ctx: ContextDep, who: ActorDep) -> HTMLResponse:
    form = await request.form()
    name, new_name = str(form.get("name", "")), str(form.get("new_name", ""))
    typed = {"name": name, "new_name": new_name}
    try:
        await join_tokens.rename(ctx, who, name, new_name)
    except SERVICE_ERRORS as exc:
        return render_fragment(request, "joining/_rename.html", 422, error=exc.message, typed=typed)
    return render_fragment(request, "joining/_rename.html", error="", typed={}, renamed=(name, new_name.strip()))
