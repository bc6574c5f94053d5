"""The NOC wall display: a full-screen, read-only view of the cluster for a wall screen.

It has no controls, no navigation and no login form: it opens with a display token."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from webui.auth.store import DISPLAY_COOKIE
from webui.routes.deps import SettingsDep, render_page
from webui.views.noc import NOC, wall_view

router = APIRouter()

# The display turns STALE when no fresh data came for this many resyncs (the watcher sends
# one on each), with a floor so a short hiccup does not flash it.
STALE_AFTER_RESYNCS = 4
STALE_FLOOR = 15.0


@router.get("/noc", response_class=HTMLResponse, name="noc")
async def noc(request: Request, settings: SettingsDep, token: str = "") -> Response:
    """Open to a display token (checked before routing, webui/middleware/identify.py) and to
    anyone logged in. The token leaves the URL at once: it is moved into an HttpOnly cookie
    that only the NOC view and its stream receive, and the display is sent to the bare URL,
    so no later request, Referer or history entry carries it."""
    if token:
        response = RedirectResponse(request.app.url_path_for("noc"), status_code=303)
        secure = settings.secure_cookies or request.url.scheme == "https"
        response.set_cookie(
            DISPLAY_COOKIE, token, max_age=10 * 365 * 86400, path="/noc", httponly=True, samesite="strict",
            secure=secure,
        )
        return response
    stale_after = max(STALE_FLOOR, settings.poll_interval * STALE_AFTER_RESYNCS)
    return render_page(
        request, "noc/index.html", [NOC], stream_route="noc_stream", stale_after=stale_after, settings=settings,
        **wall_view(request.state.hub.snapshot),
    )
