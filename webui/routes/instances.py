"""The Instances page: every instance of the cluster, where it sits, and what an evacuation
or healing of its member would do to it. Rendered on request: it needs the storage pools'
drivers (one request to Incus), which the snapshot does not carry."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import ContextDep, render_page
from webui.services.instances.placement import Filters, choices, placements
from webui.services.maintenance.capacity import remote_pools

router = APIRouter()
Choice = Annotated[str, Query(max_length=200)]  # compared with what the cluster has, never sent on


@router.get("/instances", response_class=HTMLResponse, name="instances")
async def instances(
    request: Request, ctx: ContextDep, member: Choice = "", project: Choice = "", status: Choice = "", type: Choice = ""
) -> HTMLResponse:
    filters = Filters(member=member, project=project, status=status, type=type)
    snapshot = ctx.hub.snapshot
    pools = await remote_pools(ctx.client)
    return render_page(
        request, "instances/index.html", [],
        rows=placements(snapshot, pools, filters), filters=filters, choices=choices(snapshot), remote=sorted(pools),
    )
