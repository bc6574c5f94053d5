"""The admin's page: accounts, API tokens and NOC display tokens. New secrets are shown once."""

from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from webui.audit.log import Actor, AuditLog
from webui.auth import store
from webui.routes.deps import ActorDep, AuditDep, EngineDep, render_page

router = APIRouter(prefix="/settings")


async def _page(request: Request, engine: EngineDep, status_code: int = 200, **context: Any) -> HTMLResponse:
    users, tokens, displays = await anyio.to_thread.run_sync(
        lambda: (store.users(engine), store.api_tokens(engine), store.displays(engine))
    )
    return render_page(
        request, "admin/index.html", [], status_code, users=users, tokens=tokens, displays=displays, **context
    )


@router.get("", response_class=HTMLResponse, name="settings")
async def settings(request: Request, engine: EngineDep) -> HTMLResponse:
    return await _page(request, engine)


@router.post("/displays", response_class=HTMLResponse, name="create_display")
async def create_display(
    request: Request, engine: EngineDep, audit: AuditDep, who: ActorDep, name: Annotated[str, Form(max_length=100)] = ""
) -> HTMLResponse:
    if not name.strip():
        return await _page(request, engine, 422, error="Give the display a name.", display_name=name)
    try:
        async with audit.action(who, "create-display", name):
            token = await anyio.to_thread.run_sync(store.create_display, engine, name.strip())
    except store.AccountError as exc:
        return await _page(request, engine, 409, error=str(exc), display_name=name)
    url = str(request.url_for("noc")) + f"?token={token}"
    return await _page(request, engine, new_secret=("display " + name, url))


@router.post("/displays/{display_id}/revoke", response_class=HTMLResponse, name="revoke_display")
async def revoke_display(
    request: Request, engine: EngineDep, audit: AuditDep, who: ActorDep, display_id: int
) -> HTMLResponse:
    return await _revoke(request, engine, audit, who, "revoke-display", store.revoke_display, display_id)


async def _revoke(
    request: Request, engine: Engine, audit: AuditLog, who: Actor, action: str,
    revoke: Callable[[Engine, int], None], item_id: int,
) -> HTMLResponse:
    async with audit.action(who, action, str(item_id)):
        await anyio.to_thread.run_sync(revoke, engine, item_id)
    return await _page(request, engine)


@router.post("/tokens", response_class=HTMLResponse, name="create_api_token")
async def create_api_token(
    request: Request, engine: EngineDep, audit: AuditDep, who: ActorDep, user: Annotated[str, Form()] = ""
) -> HTMLResponse:
    try:
        async with audit.action(who, "create-token", user):
            token = await anyio.to_thread.run_sync(store.create_api_token, engine, user)
    except store.AccountError as exc:
        return await _page(request, engine, 422, error=str(exc))
    return await _page(request, engine, new_secret=(f"API token for {user}", token))


@router.post("/tokens/{token_id}/revoke", response_class=HTMLResponse, name="revoke_api_token")
async def revoke_api_token(
    request: Request, engine: EngineDep, audit: AuditDep, who: ActorDep, token_id: int
) -> HTMLResponse:
    return await _revoke(request, engine, audit, who, "revoke-token", store.revoke_api_token, token_id)
