"""Errors as the user should see them: Incus's own words (or the dashboard's, for its own
refusals), never a stack trace.

Under /api/ the reply is Incus's error envelope; elsewhere an HTML page."""

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from webui.audit.log import AuditUnavailable
from webui.incus.envelopes import error_body
from webui.incus.errors import IncusError
from webui.routes.deps import NotAuthenticated
from webui.services.errors import Refused


def _reply(request: Request, status: int, message: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse(error_body(status, message), status)
    templates: Jinja2Templates | None = getattr(request.state, "templates", None)
    if templates is None:
        return HTMLResponse(f"<h1>{status}</h1>", status)
    # An htmx request swaps the reply into a dialog or a cell: a fragment, not a page.
    template = "_error.html" if request.headers.get("HX-Request") else "error.html"
    return templates.TemplateResponse(
        request, template, {"status": status, "message": message}, status_code=status
    )


def _login(request: Request) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse(error_body(401, "Not authenticated"), 401)
    if request.url.path == request.app.url_path_for("noc"):
        # A wall display has no one to type a password: say what is wrong instead.
        return _reply(request, 403, "This display's token is not valid (any more): ask an admin for a new display URL")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = request.app.url_path_for("login") + "?next=" + quote(target)
    if request.headers.get("HX-Request"):
        # The whole page goes to the login form, never a form swapped into a table cell.
        return Response(status_code=401, headers={"HX-Redirect": login})
    return RedirectResponse(login, status_code=303)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        return _login(request)

    @app.exception_handler(IncusError)
    async def incus_error(request: Request, exc: IncusError) -> Response:
        return _reply(request, exc.status, exc.message)

    @app.exception_handler(Refused)
    @app.exception_handler(AuditUnavailable)
    async def refused(request: Request, exc: Refused | AuditUnavailable) -> Response:
        return _reply(request, exc.status, exc.message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _reply(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()
        )
        return _reply(request, 400, f"Invalid request: {problems}")
