"""/api/v1 itself (Incus's `/1.0`: the server configuration) and the cluster certificate."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from webui.incus.envelopes import ERRORS, Sync
from webui.incus.models import Server
from webui.routes.deps import ActorDep, ContextDep, HubDep, SecretsDep
from webui.services.configuration import server
from webui.services.errors import Refused
from webui.services.members.changes import require_member

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
async def get_server(hub: HubDep, who: ActorDep, secrets: SecretsDep, target: Target = "") -> Sync[Server]:
    """`incus query /1.0`: configuration, API extensions, environment (version, certificate).
    Keys holding credentials are hidden from every role but admin."""
    snapshot = hub.snapshot
    member = require_member(snapshot, target) if target else None
    found = snapshot.servers.get(target) if target else snapshot.server
    if found is None:
        if member is not None and member.status == "Offline":
            raise Refused(503, f'Cluster member "{target}" is offline')
        raise Refused(503, "The server configuration has not been fetched from Incus yet")
    return Sync[Server](metadata=secrets.server_for(who.role, found))


@router.patch("", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def patch_server(ctx: ContextDep, who: ActorDep, body: ServerPatch, target: Target = "") -> Sync[dict[str, Any]]:
    """`incus config set KEY VALUE [--target MEMBER]`; known keys are checked before Incus sees them."""
    await server.update_config(ctx, who, body.config, target)
    return Sync[dict[str, Any]](metadata={})


@router.put("/cluster/certificate", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def put_cluster_certificate(ctx: ContextDep, who: ActorDep, body: ClusterCertificatePut) -> Sync[dict[str, Any]]:
    """`incus cluster update-certificate`: checked first (PEM, matching key, valid now)."""
    await server.replace_certificate(ctx, who, body.cluster_certificate, body.cluster_certificate_key)
    return Sync[dict[str, Any]](metadata={})
