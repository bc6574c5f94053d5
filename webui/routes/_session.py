"""What every way of signing in shares: the session cookie (as webui/middleware/identify.py
reads it), the cookie of a login waiting for its second factor, and the login page it
comes back to with a refusal."""

from datetime import timedelta

import anyio.to_thread
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from webui.auth import store
from webui.middleware._http import cookie_name, is_secure
from webui.settings import Settings


def session_cookie(request: Request, settings: Settings) -> str:
    """The session cookie's name for this request (`__Host-` prefixed over HTTPS)."""
    return cookie_name(store.SESSION_COOKIE, is_secure(request.scope, settings.secure_cookies))


def set_session(response: Response, request: Request, settings: Settings, token: str) -> None:
    max_age = int(timedelta(hours=settings.session_hours).total_seconds())
    secure = is_secure(request.scope, settings.secure_cookies)
    response.set_cookie(
        session_cookie(request, settings), token, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )


# A login waiting for its second factor (webui/routes/second_factor.py): a few minutes' worth.
STEP_COOKIE = "incus_webui_step"


def step_cookie(request: Request, settings: Settings) -> str:
    return cookie_name(STEP_COOKIE, is_secure(request.scope, settings.secure_cookies))


def set_step(response: Response, request: Request, settings: Settings, token: str) -> None:
    secure = is_secure(request.scope, settings.secure_cookies)
    response.set_cookie(
        step_cookie(request, settings), token, max_age=300, httponly=True, samesite="lax", secure=secure
    )


def end_step(response: Response, request: Request, settings: Settings) -> None:
    secure = is_secure(request.scope, settings.secure_cookies)
    response.delete_cookie(step_cookie(request, settings), secure=secure, httponly=True)


def safe_next(target: str) -> str:
    """Only a path on this site, of a sane length: never an open redirect."""
    local = target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if local and len(target) <= 2000 else "/"


async def login_page(request: Request, status_code: int = 200, local: bool = False, **context: object) -> HTMLResponse:
    """The login page: the provider's button when one is configured, and the password form
    unless oidc_only hides it (`local`: the break-glass link was followed)."""
    no_users = not await anyio.to_thread.run_sync(store.has_users, request.state.engine)
    settings: Settings = request.state.settings
    templates: Jinja2Templates = request.state.templates
    return templates.TemplateResponse(
        request,
        "auth/login.html",
        {
            "csrf_token": request.state.csrf_token,
            "no_users": no_users,
            "provider_name": settings.oidc_provider_name if settings.oidc_issuer else "",
            "local_form": local or not settings.oidc_only,
            "next": "/",
            "name": "",
            **context,
        },
        status_code=status_code,
    )
