"""/healthz for alerting and /metrics for Prometheus (and the benchmarks)."""

import hmac
from ipaddress import ip_network
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from webui.clock import now
from webui.middleware.client_address import within
from webui.routes.deps import HubDep, MetricsDep, SettingsDep
from webui.services.errors import Refused

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
async def metrics(request: Request, metrics: MetricsDep, settings: SettingsDep) -> Response:
    """Prometheus's text format (see webui/metrics.py for what is measured): for clients in
    metrics_allow, or with the bearer metrics_token. What it tells (the cluster's size and
    state, the dashboard's load) is not for anyone who can reach the port."""
    address = request.client.host if request.client else ""  # behind a trusted proxy, the one it names
    allowed = within(address, [ip_network(n, strict=False) for n in settings.metrics_allow])
    sent = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not allowed and not (settings.metrics_token and hmac.compare_digest(sent, settings.metrics_token)):
        raise Refused(403, "Forbidden: /metrics is for the metrics_allow networks, or with the metrics_token")
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
