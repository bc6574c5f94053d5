"""Logging in and out. Failures are recorded and, past a few, throttled."""

from datetime import timedelta
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from webui.auth import store
from webui.auth.middleware import SESSION_COOKIE
from webui.routes.deps import ActorDep, AuditDep, EngineDep, SettingsDep

router = APIRouter()


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
    request: Request, engine: EngineDep, settings: SettingsDep, audit: AuditDep, actor: ActorDep,
    name: Annotated[str, Form(max_length=100)] = "", password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    window = timedelta(minutes=settings.login_lockout_minutes)
    address = actor.source_address
    by_name, by_address = await anyio.to_thread.run_sync(audit.recent_failures, name, address, window)
    if by_name >= settings.login_max_failures or by_address >= settings.login_max_failures_per_address:
        await audit.append_async(**actor.fields(), action="login", target=name, outcome="denied", error="throttled")
        message = f"Too many failed logins. Try again in {int(settings.login_lockout_minutes)} minutes."
        return await _form(request, 429, error=message, name=name, next=_safe_next(next))
    user = await anyio.to_thread.run_sync(store.authenticate, engine, name, password)
    if user is None:
        await audit.append_async(
            **actor.fields(), action="login", target=name, outcome="failed", error="wrong name or password"
        )
        return await _form(request, 401, error="Wrong user name or password.", name=name, next=_safe_next(next))
    old = request.cookies.get(SESSION_COOKIE, "")
    lifetime = timedelta(hours=settings.session_hours)
    token = await anyio.to_thread.run_sync(store.start_session, engine, user, lifetime, old)
    await audit.append_async(
        actor=user.name, role=user.role, via="session", source_address=address,
        user_agent=actor.user_agent, action="login", target=user.name, outcome="succeeded",
    )
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = settings.secure_cookies or request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, token, max_age=int(lifetime.total_seconds()), httponly=True, samesite="lax", secure=secure
    )
    return response


@router.post("/logout", name="logout")
async def logout(request: Request, engine: EngineDep, audit: AuditDep, actor: ActorDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    if token:
        await anyio.to_thread.run_sync(store.end_session, engine, token)
        await audit.append_async(**actor.fields(), action="logout", target=actor.fields()["actor"], outcome="succeeded")
    response = RedirectResponse(request.app.url_path_for("login"), status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
