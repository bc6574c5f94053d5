"""The JSON API: Incus's own paths and reply shapes under /api/v1, served from the snapshot."""

from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from webui.cluster_actions import cancel_operation
from webui.incus.errors import IncusError
from webui.incus.models import Member, MemberState, Operation
from webui.member_actions import editable, require_member
from webui.routes.deps import ActorDep, AuditDep, HubDep, IncusDep, WatcherDep
from webui.routes.member_actions import remove_member, start_state_change, update_member

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


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Error}, 404: {"model": Error}, 409: {"model": Error}, 412: {"model": Error}, 503: {"model": Error}
}


class Async(BaseModel):
    """Incus's reply to a request that started an operation (HTTP 202)."""

    type: Literal["async"] = "async"
    status: str = "Operation created"
    status_code: int = 100
    operation: str
    metadata: Operation


class MemberStatePost(BaseModel):
    """`ClusterMemberStatePost`."""

    model_config = ConfigDict(extra="forbid")
    action: Literal["evacuate", "restore"]
    mode: str = ""


class MemberPut(BaseModel):
    """`ClusterMemberPut`: every writable field, as Incus's PUT wants them."""

    model_config = ConfigDict(extra="forbid")
    roles: list[str] = []
    failure_domain: str = "default"
    description: str = ""
    config: dict[str, str] = {}
    groups: list[str] = ["default"]


class MemberPatch(BaseModel):
    """Any writable fields; the others keep their current values (unlike Incus's own PATCH,
    which clears an omitted description and refuses omitted groups)."""

    model_config = ConfigDict(extra="forbid")
    roles: list[str] | None = None
    failure_domain: str | None = None
    description: str | None = None
    config: dict[str, str] | None = None
    groups: list[str] | None = None


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
    return Sync[Member](metadata=require_member(hub.snapshot, name))


@router.get("/cluster/members/{name}/state", response_model=Sync[MemberState], responses=ERRORS)
async def get_member_state(hub: HubDep, name: str) -> Sync[MemberState]:
    """`incus cluster info NAME`: uptime, load, memory and storage pool usage."""
    member = require_member(hub.snapshot, name)
    state = hub.snapshot.states.get(name)
    if state is None:
        if member.status == "Offline":  # what Incus answers for a member it cannot forward to
            raise IncusError(503, f'Cluster member "{name}" is offline')
        raise IncusError(503, f'The state of cluster member "{name}" has not been fetched yet')
    return Sync[MemberState](metadata=state)


@router.post(
    "/cluster/members/{name}/state", status_code=202, response_model=Async, responses=ERRORS
)
async def change_member_state(
    hub: HubDep, client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep, name: str,
    body: MemberStatePost,
) -> JSONResponse:
    """`incus cluster evacuate|restore NAME`: answers with the operation, like Incus.

    Follow it at `/api/v1/operations/{id}`; its outcome stays there after Incus forgets it."""
    operation = await start_state_change(hub, client, watcher, audit, who, name, body.action, body.mode)
    url = router.url_path_for("get_operation", operation_id=operation.id)
    reply = Async(operation=url, metadata=operation)
    return JSONResponse(reply.model_dump(mode="json"), 202, headers={"Location": url})


@router.put("/cluster/members/{name}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def put_member(
    hub: HubDep, client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep, name: str, body: MemberPut,
    if_match: Annotated[str | None, Header()] = None,
) -> Sync[dict[str, Any]]:
    """`incus cluster edit NAME`: every writable field; `If-Match` guards against lost updates."""
    require_member(hub.snapshot, name)  # 404 before anything is sent
    await update_member(client, watcher, audit, who, name, body.model_dump(), if_match or "")
    return Sync[dict[str, Any]](metadata={})


@router.patch("/cluster/members/{name}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def patch_member(
    hub: HubDep, client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep, name: str, body: MemberPatch,
    if_match: Annotated[str | None, Header()] = None,
) -> Sync[dict[str, Any]]:
    """Change some fields (e.g. `{"roles": [...]}`); `config` keys are merged as Incus does."""
    require_member(hub.snapshot, name)  # 404 before anything is sent
    member, etag = await client.member_with_etag(name)
    fields = editable(member)
    changes = body.model_dump(exclude_none=True)
    if "config" in changes:
        changes["config"] = {**member.config, **changes["config"]}
    fields |= changes
    await update_member(client, watcher, audit, who, name, fields, if_match or etag)
    return Sync[dict[str, Any]](metadata={})


@router.delete("/cluster/members/{name}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def delete_member(
    hub: HubDep, client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep, name: str,
    force: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Sync[dict[str, Any]]:
    """`incus cluster remove NAME [--force]`: synchronous, so success is the real outcome."""
    await remove_member(hub, client, watcher, audit, who, name, bool(force))
    return Sync[dict[str, Any]](metadata={})


# Incus's operation ids are UUIDs; anything else would be pasted into the URL sent to Incus.
OperationId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{36}$")]


@router.get("/operations", response_model=Sync[dict[str, list[Operation]]], tags=["operations"])
async def list_operations(hub: HubDep) -> Sync[dict[str, list[Operation]]]:
    """Running operations, and finished ones for a while after Incus forgot them."""
    grouped: dict[str, list[Operation]] = {}
    for operation in hub.snapshot.operations:
        grouped.setdefault(operation.status.lower(), []).append(operation)
    return Sync[dict[str, list[Operation]]](metadata=grouped)


@router.get(
    "/operations/{operation_id}", response_model=Sync[Operation], responses=ERRORS, tags=["operations"]
)
async def get_operation(
    hub: HubDep, client: IncusDep, operation_id: OperationId
) -> Sync[Operation]:
    operation = hub.snapshot.operation(operation_id) or await client.operation(operation_id)
    return Sync[Operation](metadata=operation)


@router.delete(
    "/operations/{operation_id}", response_model=Sync[dict[str, Any]], responses=ERRORS, tags=["operations"]
)
async def delete_operation(
    client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep, operation_id: OperationId
) -> Sync[dict[str, Any]]:
    """Cancel an operation, where Incus allows it (`may_cancel`); Incus answers the others."""
    await cancel_operation(client, watcher, audit, who, operation_id)
    return Sync[dict[str, Any]](metadata={})
