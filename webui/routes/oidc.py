"""Signing in through the OpenID provider: /auth/oidc/login sends the browser there, and the
provider sends it back to /auth/oidc/callback (the redirect URI to register)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from webui.middleware._http import cookie_name, is_secure
from webui.routes._session import login_page, safe_next, session_cookie, set_session
from webui.routes.deps import ActorDep, ContextDep, OidcDep, SettingsDep
from webui.services.accounts import oidc as oidc_login
from webui.services.accounts.oidc import PENDING_SECONDS
from webui.services.errors import Refused
from webui.settings import Settings

router = APIRouter(prefix="/auth/oidc")
# The sign-in's state, also in the browser: a callback carrying another browser's state (one
# an attacker started, to sign the victim in as the attacker) is refused.
STATE_COOKIE = "incus_webui_oidc"


def _redirect_uri(request: Request, settings: Settings) -> str:
    """{public_url}/auth/oidc/callback (never from the Host header, which the sender chooses)."""
    base = settings.dashboard_url(request.scope.get("server"), request.url.scheme)
    return base + str(request.app.url_path_for("oidc_callback"))


def _state_cookie(request: Request, settings: Settings) -> str:
    return cookie_name(STATE_COOKIE, is_secure(request.scope, settings.secure_cookies))


@router.get("/login", name="oidc_login")
async def oidc_start(
    request: Request, ctx: ContextDep, settings: SettingsDep, who: ActorDep, provider: OidcDep, next: str = "/"
) -> Response:
    if provider is None:
        return await login_page(request, 404, error="Signing in with an OpenID provider is not configured.")
    try:
        url, state = await oidc_login.start(ctx, provider, who, _redirect_uri(request, settings), safe_next(next))
    except Refused as exc:
        return await login_page(request, exc.status, error=exc.message)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        _state_cookie(request, settings), state, max_age=PENDING_SECONDS, httponly=True, samesite="lax",
        secure=is_secure(request.scope, settings.secure_cookies),
    )
    return response


@router.get("/callback", name="oidc_callback")
async def oidc_callback(
    request: Request, ctx: ContextDep, settings: SettingsDep, who: ActorDep, provider: OidcDep
) -> Response:
    if provider is None:
        return await login_page(request, 404, error="Signing in with an OpenID provider is not configured.")
    query = {k: v[:4000] for k, v in request.query_params.items()}
    try:
        done = await oidc_login.finish(
            ctx, settings, provider, who, _redirect_uri(request, settings), query,
            request.cookies.get(_state_cookie(request, settings), ""),
            request.cookies.get(session_cookie(request, settings), ""),
        )
    except Refused as exc:
        response: Response = await login_page(request, exc.status, error=exc.message)
    else:
        response = RedirectResponse(done.next_path, status_code=303)
        set_session(response, request, settings, done.session)
    response.delete_cookie(
        _state_cookie(request, settings), secure=is_secure(request.scope, settings.secure_cookies), httponly=True
    )
    return response
