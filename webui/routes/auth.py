"""The login form, and signing in and out (webui/services/accounts/signin.py records and throttles)."""

from datetime import timedelta
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from webui.auth import store
from webui.auth.store import SESSION_COOKIE
from webui.middleware._http import cookie_name, is_secure
from webui.routes.deps import ActorDep, ContextDep, SettingsDep
from webui.services.accounts import signin as accounts
from webui.services.errors import Refused
from webui.settings import Settings

router = APIRouter()


def _session_cookie(request: Request, settings: Settings) -> str:
    """The session cookie's name for this request, as webui/middleware/identify.py reads it."""
    return cookie_name(SESSION_COOKIE, is_secure(request.scope, settings.secure_cookies))


def _safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


async def _form(request: Request, status_code: int = 200, **context: object) -> HTMLResponse:
    no_users = not await anyio.to_thread.run_sync(store.has_users, request.state.engine)
    templates: Jinja2Templates = request.state.templates
    return templates.TemplateResponse(
        request,
        "auth/login.html",
        {"csrf_token": request.state.csrf_token, "no_users": no_users, **context},
        status_code=status_code,
    )


@router.get("/login", response_class=HTMLResponse, name="login")
async def login(request: Request, next: str = "/") -> HTMLResponse:
    return await _form(request, next=_safe_next(next), name="")


@router.post("/login", name="login_submit")
async def login_submit(
    request: Request, ctx: ContextDep, settings: SettingsDep, who: ActorDep,
    name: Annotated[str, Form(max_length=100)] = "", password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        old = request.cookies.get(_session_cookie(request, settings), "")
        token = await accounts.log_in(ctx, settings, who, name, password, old)
    except Refused as exc:
        return await _form(request, exc.status, error=exc.message, name=name, next=_safe_next(next))
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = is_secure(request.scope, settings.secure_cookies)
    max_age = int(timedelta(hours=settings.session_hours).total_seconds())
    response.set_cookie(
        _session_cookie(request, settings), token, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    return response


@router.post("/logout", name="logout")
async def logout(request: Request, ctx: ContextDep, settings: SettingsDep, who: ActorDep) -> Response:
    name = _session_cookie(request, settings)
    if token := request.cookies.get(name, ""):
        await accounts.log_out(ctx, who, token)
    response = RedirectResponse(request.app.url_path_for("login"), status_code=303)
    response.delete_cookie(name, secure=is_secure(request.scope, settings.secure_cookies), httponly=True)
    return response
