"""/api/v1/cluster/members: `incus cluster list|show|info|evacuate|restore|edit|remove`."""

from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from webui.incus.envelopes import ERRORS, Async, Sync
from webui.incus.models import Member, MemberState
from webui.memo import Latest
from webui.routes.deps import ActorDep, ContextDep, HubDep, MemberName, SecretsDep
from webui.services.configuration.secrets import Secrets, sees_secrets
from webui.services.errors import Refused
from webui.services.members import changes as members
from webui.services.members import join_tokens

router = APIRouter(prefix="/api/v1/cluster/members", tags=["cluster"])


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


class MembersPost(BaseModel):
    """`ClusterMembersPost`: the name of a server about to join."""

    model_config = ConfigDict(extra="forbid")
    server_name: str


class MemberRename(BaseModel):
    """`ClusterMemberPost`."""

    model_config = ConfigDict(extra="forbid")
    server_name: str


class MemberPatch(BaseModel):
    """Any writable fields; the others keep their current values (unlike Incus's own PATCH,
    which clears an omitted description and refuses omitted groups)."""

    model_config = ConfigDict(extra="forbid")
    roles: list[str] | None = None
    failure_domain: str | None = None
    description: str | None = None
    config: dict[str, str] | None = None
    groups: list[str] | None = None


# The `recursion=1` body, encoded once per member list the snapshot holds (and per rule and
# whether it shows secrets): at 1,000 members, validating and encoding the models at every
# request made the call slower than Incus's own. One rule per app: a few entries at most.
@lru_cache(maxsize=8)
def _encoder(secrets: Secrets, admin: bool) -> Latest[tuple[Member, ...], bytes]:
    role = "admin" if admin else ""

    def encode(found: tuple[Member, ...]) -> bytes:
        return Sync[list[Member]](metadata=[secrets.member_for(role, m) for m in found]).model_dump_json().encode()

    return Latest(encode)


@router.get("", response_model=Sync[list[Member]] | Sync[list[str]], responses=ERRORS)
async def list_members(
    hub: HubDep, who: ActorDep, secrets: SecretsDep, recursion: Annotated[int, Query(ge=0, le=2)] = 0
) -> Response | Sync[list[str]]:
    """`incus cluster list`: member URLs, or with `recursion=1` the members themselves."""
    found = hub.snapshot.members
    if recursion:
        return Response(_encoder(secrets, sees_secrets(who.role))(found), media_type="application/json")
    return Sync[list[str]](metadata=[router.url_path_for("get_member", name=m.server_name) for m in found])


@router.get("/{name}", response_model=Sync[Member], responses=ERRORS)
async def get_member(ctx: ContextDep, who: ActorDep, name: MemberName) -> JSONResponse:
    """`incus cluster show NAME`, asked of Incus with its `ETag`, for a PUT with `If-Match`."""
    member, etag = await members.fresh_member(ctx, name)
    body = Sync[Member](metadata=ctx.secrets.member_for(who.role, member)).model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": etag} if etag else None)


@router.get("/{name}/state", response_model=Sync[MemberState], responses=ERRORS)
async def get_member_state(hub: HubDep, name: MemberName) -> Sync[MemberState]:
    """`incus cluster info NAME`: uptime, load, memory and storage pool usage."""
    member = members.require_member(hub.snapshot, name)
    state = hub.snapshot.states.get(name)
    if state is None:
        if member.status == "Offline":  # what Incus answers for a member it cannot forward to
            raise Refused(503, f'Cluster member "{name}" is offline')
        raise Refused(503, f'The state of cluster member "{name}" has not been fetched yet')
    return Sync[MemberState](metadata=state)


@router.post("/{name}/state", status_code=202, response_model=Async, responses=ERRORS)
async def change_member_state(
    request: Request, ctx: ContextDep, who: ActorDep, name: MemberName, body: MemberStatePost
) -> JSONResponse:
    """`incus cluster evacuate|restore NAME`: answers with the operation, like Incus.

    Follow it at `/api/v1/operations/{id}`; its outcome stays there after Incus forgets it."""
    operation = await members.change_state(ctx, who, name, body.action, body.mode)
    url = request.app.url_path_for("get_operation", operation_id=operation.id)
    reply = Async(operation=url, metadata=operation)
    return JSONResponse(reply.model_dump(mode="json"), 202, headers={"Location": url})


@router.put("/{name}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def put_member(
    ctx: ContextDep, who: ActorDep, name: MemberName, body: MemberPut, if_match: Annotated[str | None, Header()] = None
) -> Sync[dict[str, Any]]:
    """`incus cluster edit NAME`: every writable field; `If-Match` guards against lost updates."""
    await members.update(ctx, who, name, body.model_dump(), if_match or "")
    return Sync[dict[str, Any]](metadata={})


@router.patch("/{name}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def patch_member(
    ctx: ContextDep,
    who: ActorDep,
    name: MemberName,
    body: MemberPatch,
    if_match: Annotated[str | None, Header()] = None,
) -> Sync[dict[str, Any]]:
    """Change some fields (e.g. `{"roles": [...]}`); `config` keys are merged as Incus does."""
    await members.patch(ctx, who, name, body.model_dump(exclude_none=True), if_match or "")
    return Sync[dict[str, Any]](metadata={})


@router.delete("/{name}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def delete_member(
    ctx: ContextDep, who: ActorDep, name: MemberName, force: Annotated[int, Query(ge=0, le=1)] = 0
) -> Sync[dict[str, Any]]:
    """`incus cluster remove NAME [--force]`: synchronous, so success is the real outcome."""
    await members.remove(ctx, who, name, bool(force))
    return Sync[dict[str, Any]](metadata={})


@router.post("", status_code=202, response_model=Async, responses=ERRORS)
async def create_join_token(request: Request, ctx: ContextDep, who: ActorDep, body: MembersPost) -> JSONResponse:
    """`incus cluster add NAME`: the token operation, whose metadata holds the secret (the
    client builds the token from it). Pending tokens are the running operations of class
    `token` in `/api/v1/operations`, as Incus lists them; DELETE one to revoke it."""
    operation, _ = await join_tokens.create(ctx, who, body.server_name)
    url = request.app.url_path_for("get_operation", operation_id=operation.id)
    reply = Async(operation=url, metadata=operation)
    return JSONResponse(reply.model_dump(mode="json"), 202, headers={"Location": url})


@router.post("/{name}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def rename_member(ctx: ContextDep, who: ActorDep, name: MemberName, body: MemberRename) -> Sync[dict[str, Any]]:
    """`incus cluster rename NAME NEW`."""
    await join_tokens.rename(ctx, who, name, body.server_name)
    return Sync[dict[str, Any]](metadata={})
