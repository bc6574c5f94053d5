"""Member actions in the browser: a confirmation dialog (GET) and its form (POST) for each.

Every POST re-checks what the dialog showed (a forged or stale request gets the reason),
and Incus's refusal comes back in the dialog, in Incus's words, with the form as typed."""

import json
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from webui.audit.log import Actor, AuditLog
from webui.incus.client import IncusClient
from webui.incus.errors import IncusError
from webui.incus.models import Operation
from webui.live.hub import Hub
from webui.live.watcher import Watcher
from webui.member_actions import (
    ASSIGNABLE_ROLES,
    AUTOMATIC_ROLES,
    EVACUATE_MODES,
    RESTORE_MODES,
    SCHEDULER_VALUES,
    available_actions,
    changed_fields,
    check_allowed,
    editable,
    evacuation_plan,
    evacuation_warnings,
    invalid_member_fields,
    require_member,
)
from webui.routes.deps import ActorDep, AuditDep, HubDep, IncusDep, WatcherDep, actor, render_fragment

router = APIRouter(prefix="/members/{name}")

def dialog(request: Request, template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    return render_fragment(request, template, status_code, **context)


# Evacuate and restore: long operations. The dialog shows the operation, followed live.


@router.get("/evacuate", response_class=HTMLResponse, name="evacuate_dialog")
async def evacuate_dialog(request: Request, hub: HubDep, name: str, mode: str = "auto") -> HTMLResponse:
    member = require_member(hub.snapshot, name)
    mode = mode if mode in EVACUATE_MODES else "auto"
    return dialog(
        request,
        "members/_evacuate.html",
        member=member,
        mode=mode,
        modes=EVACUATE_MODES,
        plan=evacuation_plan(hub.snapshot, name, mode),
        warnings=evacuation_warnings(hub.snapshot, member),
        refused=available_actions(hub.snapshot, member)["evacuate"],
        partial=request.headers.get("HX-Target") == "evacuate-plan",
    )


@router.post("/evacuate", response_class=HTMLResponse, name="evacuate")
async def evacuate(request: Request, name: str, mode: Annotated[str, Form()] = "auto") -> HTMLResponse:
    return await _change_state(request, name, "evacuate", mode)


@router.get("/restore", response_class=HTMLResponse, name="restore_dialog")
async def restore_dialog(request: Request, hub: HubDep, name: str) -> HTMLResponse:
    member = require_member(hub.snapshot, name)
    return dialog(
        request,
        "members/_restore.html",
        member=member,
        mode="",
        modes=RESTORE_MODES,
        refused=available_actions(hub.snapshot, member)["restore"],
    )


@router.post("/restore", response_class=HTMLResponse, name="restore")
async def restore(request: Request, name: str, mode: Annotated[str, Form()] = "") -> HTMLResponse:
    return await _change_state(request, name, "restore", mode)


async def start_state_change(
    hub: Hub, client: IncusClient, watcher: Watcher, audit: AuditLog, who: Actor, name: str, action: str, mode: str
) -> Operation:
    """Evacuate or restore, audited, for the dialogs and the JSON API alike: "requested",
    then "accepted" with the operation, then its real outcome when the operation ends."""
    async with audit.action(who, action, name, {"mode": mode}) as entry:
        check_allowed(hub.snapshot, name, action)
        operation = await client.change_member_state(name, action, mode)
        entry.operation_id = operation.id
    watcher.track(operation)
    tracked = hub.snapshot.operation(operation.id)
    if tracked is not None and tracked.finished:  # it ended before "accepted" was written
        await anyio.to_thread.run_sync(audit.operation_finished, tracked)
    return operation


async def _change_state(request: Request, name: str, action: str, mode: str) -> HTMLResponse:
    hub: Hub = request.state.hub
    template = f"members/_{action}.html"
    modes = EVACUATE_MODES if action == "evacuate" else RESTORE_MODES
    member = require_member(hub.snapshot, name)
    context: dict[str, object] = {"member": member, "mode": mode, "modes": modes, "refused": ""}
    if action == "evacuate":
        context |= {
            "plan": evacuation_plan(hub.snapshot, name, mode if mode in modes else "auto"),
            "warnings": evacuation_warnings(hub.snapshot, member),
        }
    state = request.state
    try:
        operation = await start_state_change(
            hub, state.client, state.watcher, state.audit, await actor(request), name, action, mode
        )
    except IncusError as exc:  # refused by our rules (409) or by Incus
        return dialog(request, template, exc.status if exc.status >= 400 else 400, error=exc.message, **context)
    return dialog(request, "members/_started.html", member=member, operation=operation, action=action)


# Remove and force-remove: synchronous in Incus, so the reply is the real outcome.


@router.get("/remove", response_class=HTMLResponse, name="remove_dialog")
async def remove_dialog(request: Request, hub: HubDep, name: str, force: bool = False) -> HTMLResponse:
    member = require_member(hub.snapshot, name)
    action = "force-remove" if force else "remove"
    return dialog(
        request,
        "members/_remove.html",
        member=member,
        force=force,
        refused=available_actions(hub.snapshot, member)[action],
    )


@router.post("/remove", response_class=HTMLResponse, name="remove")
async def remove(
    request: Request, hub: HubDep, client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep,
    name: str, confirm: Annotated[str, Form()] = "", force: Annotated[bool, Form()] = False,
) -> HTMLResponse:
    member = require_member(hub.snapshot, name)
    context: dict[str, object] = {"member": member, "force": force, "confirm": confirm, "refused": ""}
    if confirm != name:
        return dialog(request, "members/_remove.html", 422, error=f'Type "{name}" to confirm.', **context)
    try:
        await remove_member(hub, client, watcher, audit, who, name, force)
    except IncusError as exc:  # refused by our rules (409) or by Incus
        return dialog(request, "members/_remove.html", exc.status, error=exc.message, **context)
    return dialog(request, "members/_removed.html", member=member, force=force)


async def remove_member(
    hub: Hub, client: IncusClient, watcher: Watcher, audit: AuditLog, who: Actor, name: str, force: bool
) -> None:
    action = "force-remove" if force else "remove"
    async with audit.action(who, action, name):
        check_allowed(hub.snapshot, name, action)
        await client.remove_member(name, force=force)
    watcher.wake()


# Roles and member configuration: a PUT of the whole member, guarded by its ETag.


async def update_member(
    client: IncusClient, watcher: Watcher, audit: AuditLog, who: Actor, name: str, fields: dict[str, Any], etag: str
) -> None:
    """Checked before it is sent (Incus answers an unknown config key with a 500), then audited."""
    if problem := invalid_member_fields(fields):
        raise IncusError(400, problem)
    async with audit.action(who, "edit", name, fields):
        await client.update_member(name, fields, etag)
    watcher.wake()


@router.get("/edit", response_class=HTMLResponse, name="edit_dialog")
async def edit_dialog(
    request: Request, hub: HubDep, client: IncusDep, name: str, section: str = "member"
) -> HTMLResponse:
    require_member(hub.snapshot, name)
    member, etag = await client.member_with_etag(name)
    fields = editable(member)
    return _edit_form(request, name, section, fields, fields, etag)


@router.post("/edit", response_class=HTMLResponse, name="edit")
async def edit(
    request: Request, hub: HubDep, client: IncusDep, watcher: WatcherDep, audit: AuditDep, who: ActorDep, name: str
) -> HTMLResponse:
    require_member(hub.snapshot, name)
    form = await request.form()
    section = str(form.get("section", "member"))
    etag = str(form.get("etag", ""))
    try:
        original = json.loads(str(form.get("original", "{}")))
    except ValueError:
        original = None  # refused just below, like any other malformed value
    if not isinstance(original, dict) or not isinstance(original.get("roles", []), list):
        raise IncusError(400, "The form is malformed (original values): reload the page and try again")
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
        await update_member(client, watcher, audit, who, name, typed, etag)
    except IncusError as exc:
        if exc.status == 412:  # someone changed the member since the dialog opened
            current, new_etag = await client.member_with_etag(name)
            now = editable(current)
            changed = changed_fields(original, now)
            message = "Someone else changed this member meanwhile" + (
                f" ({', '.join(changed)})" if changed else ""
            ) + ". Your input is kept below; check it against the current values and save again."
            return _edit_form(request, name, section, now, typed, new_etag, 409, error=message, changed=changed)
        # Our check's words or Incus's; 422 whatever the status (Incus answers some bad values with a 500).
        return _edit_form(request, name, section, original, typed, etag, 422, error=exc.message)
    return dialog(request, "members/_saved.html", name=name, section=section)


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
    return dialog(
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
