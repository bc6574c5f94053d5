"""Acknowledging, resetting and deleting a warning, audited; Incus's refusals in its own words."""

from webui.identity import Actor
from webui.services.context import Context
from webui.services.warnings.listing import find


async def set_status(ctx: Context, who: Actor, uuid: str, status: str) -> None:
    """`incus warning acknowledge UUID` (status acknowledged), or back to new: Incus allows
    only these two, and refuses any other in its own words."""
    action = "acknowledge-warning" if status == "acknowledged" else "set-warning-status"
    async with ctx.audit.action(who, action, uuid, {"status": status, **_about(ctx, uuid)}):
        await ctx.client.set_warning_status(uuid, status)
    await ctx.watcher.warnings.refresh()  # the reply shows it at once; the event follows


async def delete(ctx: Context, who: Actor, uuid: str) -> None:
    """`incus warning delete UUID`: gone until Incus raises it again."""
    async with ctx.audit.action(who, "delete-warning", uuid, _about(ctx, uuid)):
        await ctx.client.delete_warning(uuid)
    await ctx.watcher.warnings.refresh()


def _about(ctx: Context, uuid: str) -> dict[str, str]:
    """What the audit record says of the warning, so it reads without the uuid looked up."""
    found = find(ctx.hub.snapshot, uuid)
    return {"type": found.type, "member": found.location} if found else {}
