"""/healthz for load balancers and /metrics (Prometheus text) for the benchmarks."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from webui.clock import now
from webui.routes.deps import ContextDep, HubDep

router = APIRouter(tags=["health"])


@router.get("/healthz", name="healthz")
async def healthz(hub: HubDep) -> JSONResponse:
    """Whether Incus is reachable, from the watcher's last resync (no request to Incus)."""
    snapshot = hub.snapshot
    age = (now() - snapshot.updated_at).total_seconds() if snapshot.updated_at else None
    body: dict[str, Any] = {
        "status": "ok" if snapshot.reachable else "incus unreachable",
        "incus_reachable": snapshot.reachable,
        "member": snapshot.server_name,
        "endpoint": snapshot.endpoint,
        "error": snapshot.error,
        "data_age_seconds": age,
    }
    return JSONResponse(body, status_code=200 if snapshot.reachable else 503)


@router.get("/metrics", name="metrics", response_class=PlainTextResponse)
async def metrics(ctx: ContextDep) -> str:
    hub = ctx.hub
    lines = [
        "# HELP incus_webui_upstream_requests_total Requests sent to Incus.",
        "# TYPE incus_webui_upstream_requests_total counter",
    ]
    for method, count in sorted(ctx.client.transport.requests_sent.items()):
        lines.append(f'incus_webui_upstream_requests_total{{method="{method}"}} {count}')
    lines += [
        "# HELP incus_webui_sse_clients Open SSE streams.",
        "# TYPE incus_webui_sse_clients gauge",
        f"incus_webui_sse_clients {len(hub.subscribers)}",
        "# HELP incus_webui_sse_dropped_total SSE clients dropped for not reading.",
        "# TYPE incus_webui_sse_dropped_total counter",
        f"incus_webui_sse_dropped_total {hub.dropped}",
        "# HELP incus_webui_frames_published_total Fragments rendered and published.",
        "# TYPE incus_webui_frames_published_total counter",
        f"incus_webui_frames_published_total {hub.frames_published}",
        "# HELP incus_webui_incus_reachable Whether the last resync reached Incus.",
        "# TYPE incus_webui_incus_reachable gauge",
        f"incus_webui_incus_reachable {int(hub.snapshot.reachable)}",
    ]
    return "\n".join(lines) + "\n"
