"""/api/v1/warnings: `incus warning list|show|acknowledge|delete`, in Incus's shapes."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from webui.incus.envelopes import ERRORS, Sync
from webui.incus.models import IncusWarning
from webui.routes.deps import ActorDep, ContextDep, HubDep, WarningFiltersDep, WarningUuid
from webui.services.warnings import changes
from webui.services.warnings.listing import filtered, find

router = APIRouter(prefix="/api/v1/warnings", tags=["warnings"])


class WarningPut(BaseModel):
    """`WarningPut`: Incus takes "acknowledged" or "new" and refuses the rest in its words."""

    model_config = ConfigDict(extra="forbid")
    status: str


@router.get("", response_model=Sync[list[IncusWarning]] | Sync[list[str]], responses=ERRORS)
async def list_warnings(
    hub: HubDep, filters: WarningFiltersDep, recursion: Annotated[int, Query(ge=0, le=2)] = 0
) -> Sync[list[IncusWarning]] | Sync[list[str]]:
    """Warning URLs, or with `recursion=1` the warnings, newest seen first; `member`,
    `severity` and `status` narrow them as the page's filters do."""
    found = filtered(hub.snapshot, filters)
    if recursion:
        return Sync[list[IncusWarning]](metadata=found)
    return Sync[list[str]](metadata=[router.url_path_for("get_warning", uuid=w.uuid) for w in found])


@router.get("/{uuid}", response_model=Sync[IncusWarning], responses=ERRORS)
async def get_warning(ctx: ContextDep, uuid: WarningUuid) -> Sync[IncusWarning]:
    """From the snapshot; one it does not hold yet is asked of Incus (which may not know it)."""
    return Sync[IncusWarning](metadata=find(ctx.hub.snapshot, uuid) or await ctx.client.warning(uuid))


@router.put("/{uuid}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def put_warning(ctx: ContextDep, who: ActorDep, uuid: WarningUuid, body: WarningPut) -> Sync[dict[str, Any]]:
    await changes.set_status(ctx, who, uuid, body.status)
    return Sync[dict[str, Any]](metadata={})


@router.patch("/{uuid}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def patch_warning(ctx: ContextDep, who: ActorDep, uuid: WarningUuid, body: WarningPut) -> Sync[dict[str, Any]]:
    """The same as PUT, as in Incus (the status is the only field)."""
    await changes.set_status(ctx, who, uuid, body.status)
    return Sync[dict[str, Any]](metadata={})


@router.delete("/{uuid}", response_model=Sync[dict[str, Any]], responses=ERRORS)
async def delete_warning(ctx: ContextDep, who: ActorDep, uuid: WarningUuid) -> Sync[dict[str, Any]]:
    await changes.delete(ctx, who, uuid)
    return Sync[dict[str, Any]](metadata={})
