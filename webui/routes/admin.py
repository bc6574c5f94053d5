"""The admin's page: accounts, API tokens and NOC display tokens. New secrets are shown once."""

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from webui.auth import oidc_store, store
from webui.routes.deps import ActorDep, ContextDep, SettingsDep, render_page
from webui.services.accounts import signin as accounts
from webui.services.context import Context
from webui.services.errors import Refused

router = APIRouter(prefix="/settings")


async def _page(request: Request, ctx: Context, status_code: int = 200, **context: Any) -> HTMLResponse:
    engine = ctx.engine
    users, grants, tokens, displays, oidc_accounts = await anyio.to_thread.run_sync(
        lambda: (
            store.users(engine), store.all_grants(engine), store.api_tokens(engine), store.displays(engine),
            oidc_store.accounts(engine),
        )
    )
    return render_page(
        request, "admin/index.html", [], status_code, users=users, grants=grants, tokens=tokens, displays=displays,
        oidc_accounts=oidc_accounts, **context,
    )


@router.get("", response_class=HTMLResponse, name="settings")
async def settings(request: Request, ctx: ContextDep) -> HTMLResponse:
    return await _page(request, ctx)


@router.post("/displays", response_class=HTMLResponse, name="create_display")
async def create_display(
    request: Request, ctx: ContextDep, who: ActorDep, settings: SettingsDep,
    name: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    try:
        token = await accounts.create_display(ctx, who, name)
    except Refused as exc:
        return await _page(request, ctx, exc.status, at="displays", error=exc.message, display_name=name)
    # Never from the Host header, which whoever sends the request chooses.
    base = settings.dashboard_url(request.scope.get("server"), request.url.scheme)
    url = base + request.app.url_path_for("noc") + f"?token={token}"
    return await _page(request, ctx, at="displays", new_secret=("display " + name, url))


@router.post("/displays/{display_id}/revoke", response_class=HTMLResponse, name="revoke_display")
async def revoke_display(request: Request, ctx: ContextDep, who: ActorDep, display_id: int) -> HTMLResponse:
    try:
        await accounts.revoke_display(ctx, who, display_id)
    except Refused as exc:
        return await _page(request, ctx, exc.status, at="displays", error=exc.message)
    return await _page(request, ctx, at="displays", done=f"Display {display_id} revoked.")


@router.post("/tokens", response_class=HTMLResponse, name="create_api_token")
async def create_api_token(
    request: Request, ctx: ContextDep, who: ActorDep, user: Annotated[str, Form()] = ""
) -> HTMLResponse:
    try:
        token = await accounts.create_api_token(ctx, who, user)
    except Refused as exc:
        return await _page(request, ctx, exc.status, at="tokens", error=exc.message)
    return await _page(request, ctx, at="tokens", new_secret=(f"API token for {user}", token))


@router.post("/tokens/{token_id}/revoke", response_class=HTMLResponse, name="revoke_api_token")
async def revoke_api_token(request: Request, ctx: ContextDep, who: ActorDep, token_id: int) -> HTMLResponse:
    try:
        await accounts.revoke_api_token(ctx, who, token_id)
    except Refused as exc:
        return await _page(request, ctx, exc.status, at="tokens", error=exc.message)
    return await _page(request, ctx, at="tokens", done=f"API token {token_id} revoked.")


@router.post("/oidc/{account_id}/block", response_class=HTMLResponse, name="block_oidc_account")
async def block_oidc_account(request: Request, ctx: ContextDep, who: ActorDep, account_id: int) -> HTMLResponse:
    try:
        name = await accounts.block_oidc_account(ctx, who, account_id)
    except Refused as exc:
        return await _page(request, ctx, exc.status, at="oidc", error=exc.message)
    return await _page(request, ctx, at="oidc", done=f"{name} blocked: signed out, and refused from now on.")
