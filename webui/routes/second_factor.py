"""The second factor: its code at login, its enrolment at login (local_admin_totp) or from the
account's own page, and the recovery codes, shown once."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from webui.routes._session import end_step, session_cookie, set_session, step_cookie
from webui.routes.deps import ActorDep, ContextDep, SettingsDep
from webui.services.accounts import second_factor
from webui.services.errors import Refused

router = APIRouter()
Code = Annotated[str, Form(max_length=40)]
Secret = Annotated[str, Form(max_length=64)]


def _page(request: Request, status_code: int = 200, **context: Any) -> HTMLResponse:
    """mode: "code" (give it), "enrol" (QR code and form), "codes" (recovery codes, once),
    "expired" (log in again), "provider" (an OIDC account: nothing to do here)."""
    templates: Jinja2Templates = request.state.templates
    return templates.TemplateResponse(
        request, "auth/second_factor.html", {"csrf_token": request.state.csrf_token, **context}, status_code=status_code
    )


def _expired(request: Request, exc: Refused) -> HTMLResponse:
    return _page(request, exc.status, mode="expired", error=exc.message)


@router.get("/login/code", response_class=HTMLResponse, name="login_code")
async def login_code(request: Request, ctx: ContextDep, settings: SettingsDep) -> HTMLResponse:
    try:
        await second_factor.check_step(ctx, request.cookies.get(step_cookie(request, settings), ""), "code")
    except Refused as exc:
        return _expired(request, exc)
    return _page(request, mode="code")


@router.post("/login/code", name="login_code_submit")
async def login_code_submit(
    request: Request, ctx: ContextDep, settings: SettingsDep, who: ActorDep, code: Code = ""
) -> Response:
    step = request.cookies.get(step_cookie(request, settings), "")
    old = request.cookies.get(session_cookie(request, settings), "")
    try:
        done = await second_factor.give_code(ctx, settings, who, step, code, old)
    except second_factor.StepExpired as exc:
        return _expired(request, exc)
    except Refused as exc:
        return _page(request, exc.status, mode="code", error=exc.message)
    response = RedirectResponse(done.next_path, status_code=303)
    set_session(response, request, settings, done.session)
    end_step(response, request, settings)
    return response


@router.get("/login/enrol", response_class=HTMLResponse, name="login_enrol")
async def login_enrol(request: Request, ctx: ContextDep, settings: SettingsDep) -> HTMLResponse:
    try:
        name = await second_factor.check_step(ctx, request.cookies.get(step_cookie(request, settings), ""), "enrol")
    except Refused as exc:
        return _expired(request, exc)
    secret, qr = second_factor.enrolment(name)
    return _page(request, mode="enrol", required=True, secret=secret, qr=qr, action="login_enrol_submit")


@router.post("/login/enrol", response_class=HTMLResponse, name="login_enrol_submit")
async def login_enrol_submit(
    request: Request, ctx: ContextDep, settings: SettingsDep, who: ActorDep, secret: Secret = "", code: Code = ""
) -> HTMLResponse:
    step = request.cookies.get(step_cookie(request, settings), "")
    old = request.cookies.get(session_cookie(request, settings), "")
    try:
        done = await second_factor.enrol_at_login(ctx, settings, who, step, secret, code, old)
    except second_factor.StepExpired as exc:
        return _expired(request, exc)
    except Refused as exc:
        name = await second_factor.check_step(ctx, step, "enrol")
        _, qr = second_factor.enrolment(name, secret)
        return _page(request, exc.status, mode="enrol", required=True, secret=secret, qr=qr,
                     action="login_enrol_submit", error=exc.message)
    response = _page(request, mode="codes", codes=done.recovery_codes, next=done.next_path)
    set_session(response, request, settings, done.session)
    end_step(response, request, settings)
    return response


@router.get("/account/second-factor", response_class=HTMLResponse, name="second_factor")
async def account_second_factor(request: Request, ctx: ContextDep, who: ActorDep) -> HTMLResponse:
    enrolled = await second_factor.enrolled(ctx, who)
    if enrolled is None:
        return _page(request, mode="provider")
    secret, qr = second_factor.enrolment(who.identity.name if who.identity else "")
    return _page(request, mode="enrol", enrolled=enrolled, secret=secret, qr=qr, action="second_factor_submit")


@router.post("/account/second-factor", response_class=HTMLResponse, name="second_factor_submit")
async def account_second_factor_submit(
    request: Request, ctx: ContextDep, who: ActorDep, secret: Secret = "", code: Code = ""
) -> HTMLResponse:
    try:
        codes = await second_factor.enrol_signed_in(ctx, who, secret, code)
    except Refused as exc:
        _, qr = second_factor.enrolment(who.identity.name if who.identity else "", secret)
        return _page(request, exc.status, mode="enrol", secret=secret, qr=qr, action="second_factor_submit",
                     error=exc.message)
    return _page(request, mode="codes", codes=codes, next="/")
