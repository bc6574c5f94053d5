"""The session cookie, as webui/middleware/identify.py reads it: set by every way of signing in."""

from datetime import timedelta

from fastapi import Request, Response

from webui.auth.store import SESSION_COOKIE
from webui.middleware._http import cookie_name, is_secure
from webui.settings import Settings


def session_cookie(request: Request, settings: Settings) -> str:
    """The session cookie's name for this request (`__Host-` prefixed over HTTPS)."""
    return cookie_name(SESSION_COOKIE, is_secure(request.scope, settings.secure_cookies))


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
