"""The cluster groups page: `incus cluster group list`, and create, edit, rename, delete and
member changes (each form answers with the list again, with Incus's refusal if any)."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import ActorDep, ContextDep, GroupName, render_fragment, render_page
from webui.services.errors import SERVICE_ERRORS
from webui.services.members import groups
from webui.views.cluster import CLUSTER

router = APIRouter(prefix="/cluster/groups")


@router.get("", response_class=HTMLResponse, name="groups")
async def groups_page(request: Request) -> HTMLResponse:
    return render_page(request, "groups/index.html", [CLUSTER], error="", done="", at=None, typed={})


async def _reply(request: Request, change: Any, typed: dict[str, Any], at: str, done: str) -> HTMLResponse:
    """Run one change; the list again, with what was typed and Incus's words if refused, or
    `done`. The outcome is drawn beside the form that sent it: the row of group `at`, or the
    new-group form for "" (the list is long, and the create form is below it)."""
    try:
        await change
    except SERVICE_ERRORS as exc:
        return render_fragment(request, "groups/_list.html", 422, error=exc.message, done="", at=at, typed=typed)
    return render_fragment(request, "groups/_list.html", error="", done=done, at=at, typed={})


async def _group_form(request: Request) -> tuple[str, str, list[str], str | None]:
    """A group's name, description, ticked members and configuration lines (None where the
    form has no such field: an Incus without group configuration), as the form sent them."""
    form = await request.form()
    members = [str(m) for m in form.getlist("members")]
    config = form.get("config")
    return str(form.get("name", "")), str(form.get("description", "")), members, None if config is None else str(config)


@router.post("", response_class=HTMLResponse, name="group_create")
async def create(request: Request, ctx: ContextDep, who: ActorDep) -> HTMLResponse:
    name, description, members, config = await _group_form(request)
    typed = {"name": name, "description": description, "members": members, "config": config}
    change = groups.create(ctx, who, name, description, members, config)
    return await _reply(request, change, typed, "", f"Created {name}.")


@router.post("/{group}", response_class=HTMLResponse, name="group_edit")
async def edit(request: Request, ctx: ContextDep, who: ActorDep, group: GroupName) -> HTMLResponse:
    _, description, members, config = await _group_form(request)
    typed = {"group": group, "description": description, "members": members, "config": config}
    change = groups.update(ctx, who, group, description, members, config)
    return await _reply(request, change, typed, group, f"Saved {group}.")


@router.post("/{group}/members", response_class=HTMLResponse, name="group_members")
async def change_members(request: Request, ctx: ContextDep, who: ActorDep, group: GroupName) -> HTMLResponse:
    form = await request.form()
    add, remove = str(form.get("add", "")), str(form.get("remove", ""))
    done = f"Removed {remove} from {group}." if remove else f"Added {add} to {group}."
    return await _reply(request, groups.change_members(ctx, who, group, add=add, remove=remove), {}, group, done)


@router.post("/{group}/rename", response_class=HTMLResponse, name="group_rename")
async def rename(request: Request, ctx: ContextDep, who: ActorDep, group: GroupName) -> HTMLResponse:
    new_name = str((await request.form()).get("new_name", ""))
    typed = {"group": group, "new_name": new_name}
    return await _reply(request, groups.rename(ctx, who, group, new_name), typed, group, f"{group} is now {new_name}.")


@router.post("/{group}/delete", response_class=HTMLResponse, name="group_delete")
async def delete(request: Request, ctx: ContextDep, who: ActorDep, group: GroupName) -> HTMLResponse:
    return await _reply(request, groups.delete(ctx, who, group), {}, group, f"Deleted {group}.")
