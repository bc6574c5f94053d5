"""The JSON API: Incus's own paths and reply shapes under /api/v1, served from the snapshot."""

from typing import Annotated, Generic, Literal, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel

from webui.incus.errors import IncusError
from webui.incus.models import Member, MemberState
from webui.routes.deps import HubDep

router = APIRouter(prefix="/api/v1", tags=["cluster"])

T = TypeVar("T")


class Sync(BaseModel, Generic[T]):
    """Incus's sync reply envelope."""

    type: Literal["sync"] = "sync"
    status: str = "Success"
    status_code: int = 200
    operation: str = ""
    error_code: int = 0
    error: str = ""
    metadata: T


class Error(BaseModel):
    """Incus's error reply envelope."""

    type: Literal["error"] = "error"
    error: str
    error_code: int


ERRORS = {404: {"model": Error}, 503: {"model": Error}}


def _member(hub: HubDep, name: str) -> Member:
    member = hub.snapshot.member(name)
    if member is None:
        raise IncusError(404, "Cluster member not found")
    return member


@router.get("/cluster/members", response_model=Sync[list[Member]] | Sync[list[str]], responses=ERRORS)
async def list_members(
    hub: HubDep, recursion: Annotated[int, Query(ge=0, le=2)] = 0
) -> Sync[list[Member]] | Sync[list[str]]:
    """`incus cluster list`: member URLs, or with `recursion=1` the members themselves."""
    members = hub.snapshot.members
    if recursion:
        return Sync[list[Member]](metadata=list(members))
    return Sync[list[str]](
        metadata=[router.url_path_for("get_member", name=m.server_name) for m in members]
    )


@router.get("/cluster/members/{name}", response_model=Sync[Member], responses=ERRORS)
async def get_member(hub: HubDep, name: str) -> Sync[Member]:
    """`incus cluster show NAME`."""
    return Sync[Member](metadata=_member(hub, name))


@router.get("/cluster/members/{name}/state", response_model=Sync[MemberState], responses=ERRORS)
async def get_member_state(hub: HubDep, name: str) -> Sync[MemberState]:
    """`incus cluster info NAME`: uptime, load, memory and storage pool usage."""
    member = _member(hub, name)
    state = hub.snapshot.states.get(name)
    if state is None:
        # What Incus answers for a member it cannot forward to.
        raise IncusError(503, f'Cluster member "{member.server_name}" is offline')
    return Sync[MemberState](metadata=state)
