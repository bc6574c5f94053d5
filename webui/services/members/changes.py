"""Changes to cluster members, checked and audited, for the dialogs and /api/v1 alike:
evacuate and restore (long operations), remove and force-remove, and edits of the writable
fields guarded by Incus's ETag."""

from typing import Any

from webui.identity import Actor
from webui.incus.models import Member, Operation
from webui.live.snapshot import ClusterSnapshot
from webui.live.targets import Target
from webui.services.activity.operations import record_outcome
from webui.services.configuration.secrets import HIDDEN, sees_secrets
from webui.services.context import Context
from webui.services.errors import Refused
from webui.services.members.rules import (
    available_actions,
    changed_fields,
    editable,
    invalid_member_fields,
    running_operation,
)


def require_member(snapshot: ClusterSnapshot, name: str) -> Member:
    """The member, or Incus's own 404 words before anything is sent."""
    member = snapshot.member(name)
    if member is None:
        raise Refused(404, "Cluster member not found")
    return member


async def known_member(ctx: Context, name: str) -> Member:
    """The member from the snapshot or, when the snapshot has not seen it yet (it joined a
    moment ago), from Incus: a write is answered 404 only when Incus says so too."""
    member = ctx.hub.snapshot.member(name)
    if member is not None:
        return member
    member = await ctx.client.member(name)  # Incus's own 404 if it does not know it either
    ctx.watcher.wake()
    return member


async def fresh_member(ctx: Context, name: str) -> tuple[Member, str]:
    """The member as Incus has it now, with its ETag (what `incus cluster show` reads)."""
    return await ctx.client.member_with_etag(name)


async def check_allowed(ctx: Context, name: str, action: str) -> Member:
    """The member, if `action` is allowed on it now (the rule the buttons show), else 409.
    A refusal is checked with Incus first, as the view may be behind: an operation's end lost
    or on its way, a member's new status. A member the snapshot has not seen yet is left to
    Incus's own rules."""
    if ctx.hub.snapshot.member(name) is None:
        return await known_member(ctx, name)
    member, reason = _rule(ctx, name, action)
    if reason:
        if (shown := running_operation(ctx.hub.snapshot, name)) is not None:
            await ctx.watcher.recheck(shown)
        await ctx.watcher.fetch(Target("member", name))
        member, reason = _rule(ctx, name, action)
    if reason:
        raise Refused(409, reason)
    return member


def _rule(ctx: Context, name: str, action: str) -> tuple[Member, str]:
    """The member as the snapshot shows it, and why `action` is refused on it ("" if it is not)."""
    snapshot = ctx.hub.snapshot
    member = require_member(snapshot, name)
    return member, available_actions(snapshot, member).get(action, "")


async def change_state(ctx: Context, who: Actor, name: str, action: str, mode: str) -> Operation:
    """Evacuate or restore: "requested", then "accepted" with the operation, then its real
    outcome when the operation ends (recorded from the watcher's events)."""
    async with ctx.audit.action(who, action, name, {"mode": mode}) as entry:
        await check_allowed(ctx, name, action)
        operation = await ctx.client.change_member_state(name, action, mode)
        entry.operation_id = operation.id
    ctx.watcher.track(operation)
    tracked = ctx.hub.snapshot.operation(operation.id)
    if tracked is not None and tracked.finished:  # it ended before "accepted" was written
        await record_outcome(ctx.audit, tracked)
    return operation


async def remove(ctx: Context, who: Actor, name: str, force: bool) -> None:
    """Synchronous in Incus: the reply is the real outcome."""
    action = "force-remove" if force else "remove"
    async with ctx.audit.action(who, action, name):
        await check_allowed(ctx, name, action)
        await ctx.client.remove_member(name, force=force)
    ctx.watcher.wake()


def _shown(ctx: Context, fields: dict[str, Any], role: str) -> dict[str, Any]:
    """The fields as `role` may read them: a secret `user.*` value hidden from non-admins."""
    return fields if sees_secrets(role) else {**fields, "config": ctx.secrets.redact(fields.get("config") or {})}


async def update(ctx: Context, who: Actor, name: str, fields: dict[str, Any], etag: str) -> None:
    """A PUT of every writable field. Checked before it is sent (Incus answers an unknown
    config key with a 500), then audited without secret values; a stale `etag` gets Incus's
    412. A secret sent back still hidden (a non-admin's form) keeps its value."""
    member = await known_member(ctx, name)
    config = {k: member.config.get(k, "") if v == HIDDEN else v for k, v in (fields.get("config") or {}).items()}
    fields = {**fields, "config": config} if "config" in fields else fields
    if problem := invalid_member_fields(fields):
        raise Refused(400, problem)
    # Every key is sent back: a secret is recorded as changed only when it was.
    recorded = {**fields, "config": ctx.secrets.recorded(config, member.config)} if "config" in fields else fields
    async with ctx.audit.action(who, "edit", name, recorded):
        await ctx.client.update_member(name, fields, etag)
    ctx.watcher.wake()


async def patch(ctx: Context, who: Actor, name: str, changes: dict[str, Any], etag: str) -> None:
    """Some writable fields; the others keep their current values, and `config` keys are
    merged as Incus merges them."""
    member, current_etag = await ctx.client.member_with_etag(name)
    if "config" in changes:
        changes = {**changes, "config": {**member.config, **changes["config"]}}
    await update(ctx, who, name, editable(member) | changes, etag or current_etag)


async def edited_meanwhile(
    ctx: Context, name: str, original: dict[str, Any], role: str
) -> tuple[dict[str, Any], str, list[str]]:
    """After a 412: the member's fields now, their new ETag, and which differ from `original`."""
    member, etag = await ctx.client.member_with_etag(name)
    now = _shown(ctx, editable(member), role)
    return now, etag, changed_fields(original, now)


async def editable_fields(ctx: Context, name: str, role: str) -> tuple[dict[str, Any], str]:
    """The member's writable fields as Incus has them now (as `role` may read them), and the
    ETag to send them back with."""
    require_member(ctx.hub.snapshot, name)
    member, etag = await ctx.client.member_with_etag(name)
    return _shown(ctx, editable(member), role), etag
