"""The NOC wall display: a full-screen, read-only view of the cluster for a wall screen.

It has no controls, no navigation and no login form: it opens with a display token."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.live.hub import NOC
from webui.routes.deps import SettingsDep, render_page

router = APIRouter()

# The display turns STALE when no fresh data came for this many resyncs (the watcher sends
# one on each), with a floor so a short hiccup does not flash it.
STALE_AFTER_RESYNCS = 4
STALE_FLOOR = 15.0


@router.get("/noc", response_class=HTMLResponse, name="noc")
async def noc(request: Request, settings: SettingsDep, token: str = "") -> HTMLResponse:
    """Open to a display token (checked before routing, webui/middleware/identify.py) and to
    anyone logged in."""
    stale_after = max(STALE_FLOOR, settings.poll_interval * STALE_AFTER_RESYNCS)
    # The token goes on the stream too: a display has no session, the token is its only key.
    return render_page(
        request, "noc/index.html", [NOC], stream_params={"token": token} if token else None, stale_after=stale_after
    )
