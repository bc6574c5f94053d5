"""Cluster groups (`incus cluster group create|edit|rename|delete|assign|add|remove`), checked
and audited; the page and `/api/v1/cluster/groups` both call these."""

from collections.abc import Iterable, Mapping
from typing import Any

from webui.identity import Actor
from webui.incus import names
from webui.incus.features import CLUSTERING_GROUPS_CONFIG
from webui.incus.models import ClusterGroup
from webui.live.snapshot import ClusterSnapshot
from webui.services.context import Context
from webui.services.errors import Refused, valid_name

DEFAULT = "default"  # Incus's own group: never renamed or deleted
# A group's configuration: a map (the API), a form's KEY=VALUE lines, or None to keep it as it is.
Config = Mapping[str, str] | str | None


def require_group(snapshot: ClusterSnapshot, name: str) -> ClusterGroup:
    group = snapshot.group(name)
    if group is None:
        raise Refused(404, "Cluster group not found")
    return group


def _check_members(snapshot: ClusterSnapshot, members: Iterable[str]) -> list[str]:
    wanted = sorted({m for m in members if m})
    if unknown := [m for m in wanted if snapshot.member(m) is None]:
        raise Refused(400, f"Not a cluster member: {', '.join(unknown)}")
    return wanted


def parse_config(text: str) -> dict[str, str]:
    """`KEY=VALUE` lines, as a form sends a group's configuration (blank lines skipped)."""
    config = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise Refused(400, f"Not KEY=VALUE: {line.strip()}")
        config[key.strip()] = value.strip()
    return config


def _parsed(config: Config) -> dict[str, str] | None:
    return parse_config(config) if isinstance(config, str) else None if config is None else dict(config)


async def _with_config(
    ctx: Context, body: dict[str, Any], config: dict[str, str] | None, name: str = ""
) -> dict[str, Any]:
    """The body with the group's keys. Given ones need `clustering_groups_config`. None keeps
    the keys group `name` has in Incus now, sent back as its GET shows them (as `incus cluster
    group edit` does): a PUT without `config` clears them where groups have some, and this holds
    even before the dashboard has read what the cluster's Incus can do."""
    if config is not None:
        if ctx.hub.snapshot.features.has(CLUSTERING_GROUPS_CONFIG):
            return {**body, "config": config}
        if config:
            missing = f"API extension {CLUSTERING_GROUPS_CONFIG}"
            raise Refused(400, f"This cluster's Incus has no cluster group configuration ({missing})")
        return body
    if name:
        group = await ctx.client.group(name)
        if "config" in (group.model_extra or {}):  # Incus 6.0.4's groups have no `config` at all
            return {**body, "config": group.configuration}
    return body


async def create(
    ctx: Context, who: Actor, name: str, description: str, members: Iterable[str], config: Config = None
) -> None:
    name = name.strip()
    async with ctx.audit.action(who, "create-group", name, {"description": description}) as entry:
        if not name:
            raise Refused(400, "A group needs a name")
        valid_name(names.api_name, name, "cluster group name")
        wanted = _check_members(ctx.hub.snapshot, members)
        keys = _parsed(config)
        if keys is not None:
            entry.parameters["config_keys"] = sorted(keys)  # the keys only: a user.* value may be private
        body = {"name": name, "description": description, "members": wanted}
        await ctx.client.create_group(await _with_config(ctx, body, keys))
    await ctx.watcher.refresh_groups()
    ctx.watcher.wake()


async def update(
    ctx: Context, who: Actor, name: str, description: str, members: Iterable[str], config: Config = None
) -> None:
    """`incus cluster group edit`: the description, the whole member list (a member removed
    from its last group is refused by Incus, in its words) and, where Incus has them, the keys."""
    async with ctx.audit.action(who, "edit-group", name, {"description": description}) as entry:
        require_group(ctx.hub.snapshot, name)
        wanted = _check_members(ctx.hub.snapshot, members)
        entry.parameters["members"] = wanted
        keys = _parsed(config)
        if keys is not None:
            entry.parameters["config_keys"] = sorted(keys)
        body = {"description": description, "members": wanted}
        await ctx.client.update_group(name, await _with_config(ctx, body, keys, name))
    await ctx.watcher.refresh_groups()
    ctx.watcher.wake()


async def change_members(ctx: Context, who: Actor, name: str, add: str = "", remove: str = "") -> None:
    """`incus cluster group add|remove MEMBER GROUP`: one member in or out."""
    group = require_group(ctx.hub.snapshot, name)
    members = [m for m in group.members if m != remove] + ([add] if add and add not in group.members else [])
    await update(ctx, who, name, group.description, members)


async def rename(ctx: Context, who: Actor, name: str, new_name: str) -> None:
    async with ctx.audit.action(who, "rename-group", name, {"new_name": new_name}):
        require_group(ctx.hub.snapshot, name)
        if name == DEFAULT:
            raise Refused(403, "The default cluster group cannot be renamed")
        if not new_name.strip():
            raise Refused(400, "A group needs a name")
        valid_name(names.api_name, new_name.strip(), "cluster group name")
        await ctx.client.rename_group(name, new_name.strip())
    await ctx.watcher.refresh_groups()
    ctx.watcher.wake()


async def delete(ctx: Context, who: Actor, name: str) -> None:
    async with ctx.audit.action(who, "delete-group", name):
        require_group(ctx.hub.snapshot, name)
        if name == DEFAULT:
            raise Refused(403, "The default cluster group cannot be deleted")
        await ctx.client.delete_group(name)
    await ctx.watcher.refresh_groups()
    ctx.watcher.wake()
