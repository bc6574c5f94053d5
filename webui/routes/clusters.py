"""The overview of every cluster the dashboard holds (the landing page when it holds several)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import clusters_seen, render_page
from webui.views.overview import cards

router = APIRouter()


@router.get("/clusters", response_class=HTMLResponse, name="overview")
async def overview(request: Request) -> HTMLResponse:
    """One card per cluster the account may see; the page asks again every few seconds (`hx-trigger`)."""
    seen = cards(request.state.clusters, clusters_seen(request))
    return render_page(request, "clusters/index.html", [], cards=seen, overview=True)
