"""Member actions in the browser: a confirmation dialog (GET) and its form (POST) for each.

Every POST re-checks what the dialog showed (a forged or stale request gets the reason),
and a refusal comes back in the dialog, in Incus's words or ours, with the form as typed."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from webui.identity import Actor
from webui.routes.deps import ActorDep, ContextDep, HubDep, MemberName, render_fragment
from webui.services.context import Context
from webui.services.errors import SERVICE_ERRORS, Refused
from webui.services.maintenance.capacity import preflight, remote_pools
from webui.services.maintenance.evacuation_plan import evacuation_plan, evacuation_warnings, plan_warnings
from webui.services.members import changes as members
from webui.services.members.rules import (
    ASSIGNABLE_ROLES,
    AUTOMATIC_ROLES,
    EVACUATE_MODES,
    RESTORE_MODES,
    SCHEDULER_VALUES,
    available_actions,
)

router = APIRouter(prefix="/members/{name}")


# Evacuate and restore: long operations. The dialog shows the operation, followed live.


def _state_dialog(
    request: Request, name: str, action: str, mode: str, pools: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """What the evacuate or restore dialog shows: the modes and, to evacuate, the plan (`pools`:
    the remote storage pools, whose disks move with their instance)."""
    snapshot = request.state.hub.snapshot
    member = members.require_member(snapshot, name)
    modes = EVACUATE_MODES if action == "evacuate" else RESTORE_MODES
    context: dict[str, Any] = {
        "member": member, "mode": mode, "modes": modes, "refused": available_actions(snapshot, member)[action]
    }
    if action == "evacuate":
        plan = evacuation_plan(snapshot, name, mode if mode in modes else "auto", pools)
        context |= {
            "plan": plan,
            "plan_warnings": plan_warnings(plan, name),
            "warnings": evacuation_warnings(snapshot, member),
        }
    return context


@router.get("/evacuate", response_class=HTMLResponse, name="evacuate_dialog")
async def evacuate_dialog(request: Request, ctx: ContextDep, name: MemberName, mode: str = "auto") -> HTMLResponse:
    mode = mode if mode in EVACUATE_MODES else "auto"
    members.require_member(ctx.hub.snapshot, name)  # Incus is asked nothing for a member we do not know
    pools = await remote_pools(ctx.client)
    context = _state_dialog(request, name, "evacuate", mode, pools)
    partial = request.headers.get("HX-Target") == "evacuate-plan"
    capacity = await preflight(ctx.client, ctx.hub.snapshot, name, mode, pools)
    return render_fragment(request, "members/_evacuate.html", partial=partial, capacity=capacity, **context)


@router.post("/evacuate", response_class=HTMLResponse, name="evacuate")
async def evacuate(
    request: Request, ctx: ContextDep, who: ActorDep, name: MemberName, mode: Annotated[str, Form()] = "auto"
) -> HTMLResponse:
    return await _change_state(request, ctx, who, name, "evacuate", mode)


@router.get("/restore", response_class=HTMLResponse, name="restore_dialog")
async def restore_dialog(request: Request, name: MemberName) -> HTMLResponse:
    return render_fragment(request, "members/_restore.html", **_state_dialog(request, name, "restore", ""))


@router.post("/restore", response_class=HTMLResponse, name="restore")
async def restore(
    request: Request, ctx: ContextDep, who: ActorDep, name: MemberName, mode: Annotated[str, Form()] = ""
) -> HTMLResponse:
    return await _change_state(request, ctx, who, name, "restore", mode)


async def _change_state(request: Request, ctx: Context, who: Actor, name: str, action: str, mode: str) -> HTMLResponse:
    context = _state_dialog(request, name, action, mode) | {"refused": ""}
    try:
        operation = await members.change_state(ctx, who, name, action, mode)
    except SERVICE_ERRORS as exc:
        status = exc.status if exc.status >= 400 else 400
        if action == "evacuate":  # shown again: the plan as the dialog showed it
            context = _state_dialog(request, name, action, mode, await remote_pools(ctx.client)) | {"refused": ""}
        return render_fragment(request, f"members/_{action}.html", status, error=exc.message, **context)
    return render_fragment(
        request, "members/_started.html", member=context["member"], operation=operation, action=action
    )


# Remove and force-remove: synchronous in Incus, so the reply is the real outcome.


@router.get("/remove", response_class=HTMLResponse, name="remove_dialog")
async def remove_dialog(request: Request, hub: HubDep, name: MemberName, force: bool = False) -> HTMLResponse:
    member = members.require_member(hub.snapshot, name)
    refused = available_actions(hub.snapshot, member)["force-remove" if force else "remove"]
    return render_fragment(request, "members/_remove.html", member=member, force=force, refused=refused)


@router.post("/remove", response_class=HTMLResponse, name="remove")
async def remove(
    request: Request, ctx: ContextDep, who: ActorDep, name: MemberName,
    confirm: Annotated[str, Form()] = "", force: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    member = members.require_member(ctx.hub.snapshot, name)
    context: dict[str, object] = {"member": member, "force": force, "confirm": confirm, "refused": ""}
    if confirm != name:
        return render_fragment(request, "members/_remove.html", 422, error=f'Type "{name}" to confirm.', **context)
    try:
        await members.remove(ctx, who, name, force)
    except SERVICE_ERRORS as exc:
        return render_fragment(request, "members/_remove.html", exc.status, error=exc.message, **context)
    return render_fragment(request, "members/_removed.html", member=member, force=force)


# Roles and member configuration: a PUT of the whole member, guarded by its ETag.


@router.get("/edit", response_class=HTMLResponse, name="edit_dialog")
async def edit_dialog(request: Request, ctx: ContextDep, name: MemberName, section: str = "member") -> HTMLResponse:
    fields, etag = await members.editable_fields(ctx, name, request.state.identity.role)
    return _edit_form(request, name, section, fields, fields, etag)


@router.post("/edit", response_class=HTMLResponse, name="edit")
async def edit(request: Request, ctx: ContextDep, who: ActorDep, name: MemberName) -> HTMLResponse:
    members.require_member(ctx.hub.snapshot, name)
    form = await request.form()
    section = str(form.get("section", "member"))
    etag = str(form.get("etag", ""))
    try:
        original = json.loads(str(form.get("original", "{}")))
    except ValueError:
        original = None  # refused just below, like any other malformed value
    if not isinstance(original, dict) or not isinstance(original.get("roles", []), list):
        raise Refused(400, "The form is malformed (original values): reload the page and try again")
    typed = dict(original)
    if section == "roles":
        kept = [r for r in original.get("roles", []) if r not in ASSIGNABLE_ROLES]
        typed["roles"] = kept + [r for r in form.getlist("roles") if r in ASSIGNABLE_ROLES]
    else:
        typed |= {
            "description": str(form.get("description", "")),
            "failure_domain": str(form.get("failure_domain", "")).strip(),
            "groups": [g.strip() for g in str(form.get("groups", "")).replace(",", "\n").splitlines() if g.strip()],
        }
        config, bad = _parse_config(str(form.get("scheduler", "")), str(form.get("user_config", "")))
        typed["config"] = config
        if bad:
            return _edit_form(request, name, section, original, typed, etag, 422, error=bad)
    try:
        await members.update(ctx, who, name, typed, etag)
    except SERVICE_ERRORS as exc:
        if exc.status == 412:  # someone changed the member since the dialog opened
            now, new_etag, changed = await members.edited_meanwhile(ctx, name, original, who.role)
            message = "Someone else changed this member meanwhile" + (
                f" ({', '.join(changed)})" if changed else ""
            ) + ". Your input is kept below; check it against the current values and save again."
            return _edit_form(request, name, section, now, typed, new_etag, 409, error=message, changed=changed)
        # Our check's words or Incus's; 422 whatever the status (Incus answers some bad values with a 500).
        return _edit_form(request, name, section, original, typed, etag, 422, error=exc.message)
    return render_fragment(request, "members/_saved.html", name=name, section=section)


def _parse_config(scheduler: str, user_lines: str) -> tuple[dict[str, str], str]:
    """Member config from the form: scheduler.instance and `user.*` lines (key=value)."""
    config: dict[str, str] = {}
    if scheduler:
        config["scheduler.instance"] = scheduler
    for line in user_lines.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            return config, f'"{line.strip()}" is not key=value'
        config[key] = value.strip()
    return config, ""


def _edit_form(
    request: Request, name: str, section: str, current: dict[str, Any], typed: dict[str, Any], etag: str,
    status_code: int = 200, error: str = "", changed: list[str] | None = None,
) -> HTMLResponse:
    config = typed.get("config", {})
    return render_fragment(
        request,
        "members/_edit.html",
        status_code,
        name=name,
        section="roles" if section == "roles" else "member",
        original=json.dumps(current),
        current=current,
        typed=typed,
        etag=etag,
        error=error,
        changed=changed or [],
        assignable=ASSIGNABLE_ROLES,
        automatic=AUTOMATIC_ROLES,
        scheduler=config.get("scheduler.instance", ""),
        scheduler_values=SCHEDULER_VALUES,
        user_config="\n".join(f"{k}={v}" for k, v in config.items() if k != "scheduler.instance"),
    )
