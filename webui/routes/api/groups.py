"""/api/v1/cluster/groups: `incus cluster group list|show|create|edit|rename|delete`, in Incus's shapes."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from webui.incus.envelopes import ERRORS, Sync
from webui.incus.models import ClusterGroup
from webui.routes.deps import ActorDep, ContextDep, GroupName, HubDep
from webui.services.members import groups

router = APIRouter(prefix="/api/v1/cluster/groups", tags=["cluster"])


class GroupPost(BaseModel):
    """`ClusterGroupsPost`."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    members: list[str] = []
    config: dict[str, str] | None = None  # where Incus has clustering_groups_config


class GroupPut(BaseModel):
    """`ClusterGroupPut`."""

    model_config = ConfigDict(extra="forbid")
    description: str = ""
    members: list[str] = []
    config: dict[str, str] | None = None  # where Incus has clustering_groups_config; left out, kept


class GroupRename(BaseModel):
    """`ClusterGroupPost`."""

    model_config = ConfigDict(extra="forbid")
    name: str


@router.get("", response_model=Sync[list[ClusterGroup]] | Sync[list[str]], responses=ERRORS)
async def list_groups(
    hub: HubDep, recursion: Annotated[int, Query(ge=0, le=2)] = 0
) -> Sync[list[ClusterGroup]] | Sync[list[str]]:
    """Group URLs, or with `recursion=1` the groups themselves."""
    found = hub.snapshot.groups
    if recursion:
        return Sync[list[ClusterGroup]](metadata=list(found))
    return Sync[list[str]](metadata=[router.url_path_for("get_group", group=g.name) for g in found])


@router.get("/{group}", response_model=Sync[ClusterGroup], responses=ERRORS)
async def get_group(hub: HubDep, group: GroupName) -> Sync[ClusterGroup]:
    return Sync[ClusterGroup](metadata=groups.require_group(hub.snapshot, group))


@router.post("", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def create_group(ctx: ContextDep, who: ActorDep, body: GroupPost) -> Sync[dict[str, Any]]:
    await groups.create(ctx, who, body.name, body.description, body.members, body.config)
    return Sync[dict[str, Any]](metadata={})


@router.put("/{group}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def put_group(ctx: ContextDep, who: ActorDep, group: GroupName, body: GroupPut) -> Sync[dict[str, Any]]:
    await groups.update(ctx, who, group, body.description, body.members, body.config)
    return Sync[dict[str, Any]](metadata={})


@router.post("/{group}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def rename_group(ctx: ContextDep, who: ActorDep, group: GroupName, body: GroupRename) -> Sync[dict[str, Any]]:
    await groups.rename(ctx, who, group, body.name)
    return Sync[dict[str, Any]](metadata={})


@router.delete("/{group}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def delete_group(ctx: ContextDep, who: ActorDep, group: GroupName) -> Sync[dict[str, Any]]:
    await groups.delete(ctx, who, group)
    return Sync[dict[str, Any]](metadata={})
