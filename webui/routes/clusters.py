"""The overview of every cluster the dashboard holds (the landing page when it holds several)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import IdentityDep, clusters_asked, clusters_stream_url, render_page
from webui.views.overview import cards
from webui.views.wall import OVERVIEW

router = APIRouter()


@router.get("/clusters", response_class=HTMLResponse, name="overview")
async def overview(request: Request, identity: IdentityDep) -> HTMLResponse:
    """One card per cluster, each redrawn live by its own cluster's hub, over one stream."""
    held = clusters_asked(request, identity, None, "view")
    stream_url = clusters_stream_url(request, "clusters_stream", held, OVERVIEW)
    seen = cards(request.state.clusters, [watched.name for watched in held])
    return render_page(request, "clusters/index.html", [], stream_url=stream_url, cards=seen, overview=True)
