"""The NOC wall display: a full-screen, read-only view of the cluster for a wall screen, and
the wall of several clusters (`/noc/clusters`, each one's section live over one stream).

It has no controls, no navigation and no login form: it opens with a display token."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from webui.auth.store import DISPLAY_COOKIE
from webui.routes.deps import MAX_CLUSTERS, IdentityDep, SettingsDep, clusters_asked, clusters_stream_url, render_page
from webui.settings import Settings
from webui.views.noc import NOC, wall_view
from webui.views.wall import WALL, section_view

router = APIRouter()

# The display turns STALE when no fresh data came for this many resyncs (the watcher sends
# one on each), with a floor so a short hiccup does not flash it.
STALE_AFTER_RESYNCS = 4
STALE_FLOOR = 15.0


def keep_token(request: Request, settings: Settings, route: str, token: str, query: str = "") -> Response:
    """The token leaves the URL at once: it is moved into an HttpOnly cookie that only the
    NOC views and their streams receive, and the display is sent to the bare URL, so no later
    request, Referer or history entry carries it."""
    response = RedirectResponse(request.app.url_path_for(route) + query, status_code=303)
    secure = settings.secure_cookies or request.url.scheme == "https"
    response.set_cookie(
        DISPLAY_COOKIE, token, max_age=10 * 365 * 86400, path="/noc", httponly=True, samesite="strict", secure=secure,
    )
    return response


def stale_after(settings: Settings) -> float:
    return max(STALE_FLOOR, settings.poll_interval * STALE_AFTER_RESYNCS)


@router.get("/noc", response_class=HTMLResponse, name="noc")
async def noc(request: Request, settings: SettingsDep, token: str = "") -> Response:
    """Open to a display token (checked before routing, webui/middleware/identify.py) and to
    anyone logged in; a display made for other clusters than this one has no role here."""
    if token:
        if len(request.state.clusters) > 1:  # the cookie goes to /noc only, not /clusters/NAME/noc
            this_one = "?" + urlencode({"cluster": request.state.cluster})
            return keep_token(request, settings, "noc_clusters", token, this_one)
        return keep_token(request, settings, "noc", token)
    return render_page(
        request, "noc/index.html", [NOC], stream_route="noc_stream", stale_after=stale_after(settings),
        settings=settings, **wall_view(request.state.hub.snapshot),
    )


@router.get("/noc/clusters", response_class=HTMLResponse, name="noc_clusters")
async def noc_clusters(
    request: Request, settings: SettingsDep, identity: IdentityDep,
    cluster: Annotated[list[str] | None, Query(max_length=MAX_CLUSTERS)] = None, token: str = "",
) -> Response:
    """Every cluster a display was made for (all, for one made for none), or those `cluster`
    names, in one grid: a section each, live over one stream."""
    if token:
        return keep_token(request, settings, "noc_clusters", token)
    held = clusters_asked(request, identity, cluster)
    snapshots = [(watched.name, watched.hub.snapshot) for watched in held]
    sections = [{"snapshot": snapshot, **section_view(name, snapshot)} for name, snapshot in snapshots]
    return render_page(
        request, "noc/clusters.html", [], stream_url=clusters_stream_url(request, "noc_clusters_stream", held, WALL),
        stale_after=stale_after(settings), settings=settings, sections=sections,
    )
