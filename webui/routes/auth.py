"""The login form, and signing in and out (webui/services/accounts/signin.py records and throttles;
webui/routes/oidc.py signs in through the OpenID provider)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from webui.middleware._http import is_secure
from webui.routes._session import login_page, safe_next, session_cookie, set_session, set_step
from webui.routes.deps import ActorDep, ContextDep, OidcDep, SettingsDep
from webui.services.accounts import oidc as oidc_login
from webui.services.accounts import signin as accounts
from webui.services.errors import Refused

router = APIRouter()


@router.get("/login", response_class=HTMLResponse, name="login")
async def login(request: Request, next: str = "/", local: bool = False) -> HTMLResponse:
    return await login_page(request, local=local, next=safe_next(next), name="")


@router.post("/login", name="login_submit")
async def login_submit(
    request: Request, ctx: ContextDep, settings: SettingsDep, who: ActorDep,
    name: Annotated[str, Form(max_length=100)] = "", password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        old = request.cookies.get(session_cookie(request, settings), "")
        done = await accounts.log_in(ctx, settings, who, name, password, old, safe_next(next))
    except Refused as exc:
        return await login_page(request, exc.status, local=True, error=exc.message, name=name, next=safe_next(next))
    if done.step:  # the second factor, or its enrolment, comes first
        second = request.app.url_path_for("login_code" if done.purpose == "code" else "login_enrol")
        response = RedirectResponse(second, status_code=303)
        set_step(response, request, settings, done.step)
        return response
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session(response, request, settings, done.session)
    return response


@router.post("/logout", name="logout")
async def logout(
    request: Request, ctx: ContextDep, settings: SettingsDep, who: ActorDep, provider: OidcDep
) -> Response:
    """The dashboard's session ends; for someone signed in through the provider, the provider's
    too where it publishes an end_session_endpoint (RP-initiated logout), which sends them back
    to the login page."""
    name = session_cookie(request, settings)
    login_path = request.app.url_path_for("login")
    target = login_path
    if token := request.cookies.get(name, ""):
        if provider is not None and who.identity is not None:
            after = settings.dashboard_url(request.scope.get("server"), request.url.scheme) + login_path
            target = await oidc_login.logout_url(ctx, provider, who.identity.name, after) or login_path
        await accounts.log_out(ctx, who, token)
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(name, secure=is_secure(request.scope, settings.secure_cookies), httponly=True)
    return response
