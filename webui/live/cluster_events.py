"""What lifecycle events tell that no resync can: Incus keeps no record of the migrations
rebalancing made, so the watcher remembers the last ones from the event stream (they are also
kept in the database by services/maintenance/healing.py, as healed members are)."""

from webui.incus.models import Event
from webui.live.snapshot import ClusterSnapshot

# Rebalancing moves a few instances per run: the last ones are enough to show it works.
KEEP_MIGRATIONS = 20


def by_incus_itself(event: Event) -> bool:
    """A migration no user or client asked for: Incus's own tasks leave the requestor empty."""
    requestor = event.metadata.get("requestor") or {}
    return not requestor.get("username") and not requestor.get("address")


def apply(snapshot: ClusterSnapshot, event: Event) -> ClusterSnapshot | None:
    """The snapshot with what this event tells, or None when it tells nothing of that kind."""
    if event.action == "instance-migrated" and by_incus_itself(event):
        return snapshot.evolve(rebalanced=(snapshot.rebalanced + (event,))[-KEEP_MIGRATIONS:])
    return None
