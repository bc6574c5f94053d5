"""The server's configuration in the JSON API: Incus's `/1.0` under /api/v1, and the cluster
certificate. Reads come from the snapshot; writes go to Incus after the local checks."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from webui.cluster_actions import replace_certificate, update_config
from webui.incus.errors import IncusError
from webui.incus.models import Server
from webui.member_actions import require_member
from webui.routes.api import ERRORS, Sync
from webui.routes.deps import ActorDep, AuditDep, HubDep, IncusDep, WatcherDep

router = APIRouter(prefix="/api/v1", tags=["server"])

Target = Annotated[str, Query(description="A member, for its local keys (like `--target`)")]


class ServerPatch(BaseModel):
    """`ServerPut`'s configuration: the keys given change (an empty value unsets), the others stay."""

    model_config = ConfigDict(extra="forbid")
    config: dict[str, str | int | None]


class ClusterCertificatePut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cluster_certificate: str
    cluster_certificate_key: str


@router.get("", response_model=Sync[Server], responses=ERRORS, name="get_server")
async def get_server(hub: HubDep, target: Target = "") -> Sync[Server]:
    """`incus query /1.0`: configuration, API extensions, environment (version, certificate)."""
    snapshot = hub.snapshot
    member = require_member(snapshot, target) if target else None
    server = snapshot.servers.get(target) if target else snapshot.server
    if server is None:
        if member is not None and member.status == "Offline":
            raise IncusError(503, f'Cluster member "{target}" is offline')
        raise IncusError(503, "The server configuration has not been fetched from Incus yet")
    return Sync[Server](metadata=server)


@router.patch("", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def patch_server(
    client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep, body: ServerPatch, target: Target = ""
) -> Sync[dict[str, Any]]:
    """`incus config set KEY VALUE [--target MEMBER]`; known keys are checked before Incus sees them."""
    await update_config(client, watcher, audit, who, body.config, target)
    return Sync[dict[str, Any]](metadata={})


@router.put("/cluster/certificate", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def put_cluster_certificate(
    client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep, body: ClusterCertificatePut
) -> Sync[dict[str, Any]]:
    """`incus cluster update-certificate`: checked first (PEM, matching key, valid now)."""
    await replace_certificate(client, watcher, audit, who, body.cluster_certificate, body.cluster_certificate_key)
    return Sync[dict[str, Any]](metadata={})
