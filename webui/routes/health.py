"""/healthz for alerting and /metrics for Prometheus (and the benchmarks)."""

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from webui.clock import now
from webui.routes.deps import HubDep, MetricsDep

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


@router.get("/metrics", name="metrics")
async def metrics(metrics: MetricsDep) -> Response:
    """Prometheus's text format (see webui/metrics.py for what is measured)."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
