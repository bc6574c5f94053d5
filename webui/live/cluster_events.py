"""What lifecycle events tell that no resync can: Incus keeps no record of healing or of the
migrations rebalancing made, so the watcher remembers them from the event stream."""

from webui.incus.models import Event
from webui.live.snapshot import ClusterSnapshot

# Rebalancing moves a few instances per run: the last ones are enough to show it works.
KEEP_MIGRATIONS = 20
MEMBER_SOURCE = "/1.0/cluster/members/"


def _member(event: Event) -> str:
    source = str(event.metadata.get("source", ""))
    return source.removeprefix(MEMBER_SOURCE) if source.startswith(MEMBER_SOURCE) else ""


def by_incus_itself(event: Event) -> bool:
    """A migration no user or client asked for: Incus's own tasks leave the requestor empty."""
    requestor = event.metadata.get("requestor") or {}
    return not requestor.get("username") and not requestor.get("address")


def apply(snapshot: ClusterSnapshot, event: Event) -> ClusterSnapshot | None:
    """The snapshot with what this event tells, or None when it tells nothing of that kind."""
    action = event.action
    if action == "cluster-member-healed" and (name := _member(event)):
        return snapshot.evolve(healed=snapshot.healed | {name})
    if action == "cluster-member-restored" and _member(event) in snapshot.healed:
        return snapshot.evolve(healed=snapshot.healed - {_member(event)})
    if action == "instance-migrated" and by_incus_itself(event):
        return snapshot.evolve(rebalanced=(snapshot.rebalanced + (event,))[-KEEP_MIGRATIONS:])
    return None
