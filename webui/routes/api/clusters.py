"""`GET /api/v1/clusters`: every cluster the dashboard holds. Each one's Incus-shaped API is
under `/api/v1/clusters/{name}/…` (webui/middleware/cluster_paths.py)."""

from typing import Any

from fastapi import APIRouter, Request

from webui.incus.envelopes import Sync
from webui.routes.deps import clusters_seen
from webui.views.overview import cards

router = APIRouter(prefix="/api/v1", tags=["clusters"])


@router.get("/clusters", response_model=Sync[list[dict[str, Any]]])
async def list_clusters(request: Request) -> Sync[list[dict[str, Any]]]:
    """Name, kind (cluster or standalone), status, members by status, Incus versions,
    maintenance under way, certificate expiry and the age of the data, for each cluster the
    account has a role in."""
    seen = cards(request.state.clusters, clusters_seen(request))
    return Sync[list[dict[str, Any]]](metadata=[card.as_json() for card in seen])
