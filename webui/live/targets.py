"""What a lifecycle event names, so the watcher fetches that one member or instance and patches
the snapshot instead of resyncing everything (one small GET, no debounce: the first stream gets
the change about as soon as Incus tells). Events that add, remove, rename or move something
change the lists themselves and still get a full resync."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import unquote

from webui.incus.models import Event, Instance, Member
from webui.live.snapshot import ClusterSnapshot

Item = TypeVar("Item", Member, Instance)

MEMBER_PREFIX = "/1.0/cluster/members/"
INSTANCE_PREFIX = "/1.0/instances/"
# Changes to one existing object, whose new state one GET of it tells in full.
MEMBER_ACTIONS = frozenset({"cluster-member-updated"})
INSTANCE_ACTIONS = frozenset(
    {
        "instance-updated",
        "instance-started",
        "instance-stopped",
        "instance-shutdown",
        "instance-restarted",
        "instance-paused",
        "instance-resumed",
    }
)


@dataclass(frozen=True)
class Target:
    kind: str  # "member" or "instance"
    name: str
    project: str = ""  # an instance's


def named(event: Event) -> Target | None:
    """The one object `event` says changed in place, or None when it needs a full resync."""
    source = str(event.metadata.get("source", "")).split("?", 1)[0]
    if event.action in MEMBER_ACTIONS and source.startswith(MEMBER_PREFIX):
        name = unquote(source.removeprefix(MEMBER_PREFIX))
        return Target("member", name) if name and "/" not in name else None
    if event.action in INSTANCE_ACTIONS and source.startswith(INSTANCE_PREFIX):
        name = unquote(source.removeprefix(INSTANCE_PREFIX))
        project = str(event.metadata.get("project") or event.project or "default")
        return Target("instance", name, project) if name and "/" not in name else None
    return None


def key(item: Member | Instance) -> Target:
    """The target naming a fetched member or instance."""
    if isinstance(item, Member):
        return Target("member", item.server_name)
    return Target("instance", item.name, item.project)


def patch(snapshot: ClusterSnapshot, item: Member | Instance) -> ClusterSnapshot | None:
    """The snapshot with `item` in place of the one of that name, or None when the snapshot
    has no such member (a resync adds members, so membership stays the resync's), or when
    nothing changed. A new instance is added (sorted as the resync sorts)."""
    if isinstance(item, Member):
        if snapshot.member(item.server_name) in (None, item):
            return None
        members = tuple(item if m.server_name == item.server_name else m for m in snapshot.members)
        return snapshot.evolve(members=members)
    others = [i for i in snapshot.instances if (i.project, i.name) != (item.project, item.name)]
    if len(others) < len(snapshot.instances) and item in snapshot.instances:
        return None
    return snapshot.evolve(instances=tuple(sorted([*others, item], key=lambda i: (i.project, i.name))))


def fresher(fetched: Sequence[Item], snapshot_items: Sequence[Item], patched: set[Target]) -> list[Item]:
    """A resync's list, keeping the snapshot's version of what a targeted fetch patched after
    the resync asked Incus (the resync's reply may predate that change)."""
    newer = {key(i): i for i in snapshot_items if key(i) in patched}
    return [newer.get(key(i), i) for i in fetched]
