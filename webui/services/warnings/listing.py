"""Warnings filtered by member, severity and status, as the page and `/api/v1/warnings` take them."""

from dataclasses import dataclass

from webui.incus.models import IncusWarning
from webui.live.snapshot import ClusterSnapshot
from webui.services.errors import Refused

# Incus's own words and order (`internal/server/db/warningtype`): the filters offer these.
SEVERITIES = ("low", "moderate", "high")
STATUSES = ("new", "acknowledged", "resolved")


@dataclass(frozen=True)
class Filters:
    member: str = ""  # a member's name; "" for every member
    severity: str = ""
    status: str = ""

    def keeps(self, warning: IncusWarning) -> bool:
        wanted = ((self.member, warning.location), (self.severity, warning.severity), (self.status, warning.status))
        return all(not want or want == value for want, value in wanted)


def filtered(snapshot: ClusterSnapshot, filters: Filters) -> list[IncusWarning]:
    """Newest seen first, as `incus warning list` is read: what came back lately on top."""
    kept = [w for w in snapshot.warnings if filters.keeps(w)]
    return sorted(kept, key=lambda w: (w.last_seen_at is not None, w.last_seen_at), reverse=True)


def members_warned(snapshot: ClusterSnapshot) -> list[str]:
    """The members a filter may name: the cluster's, and any other a warning names (one that left)."""
    return sorted({m.server_name for m in snapshot.members} | {w.location for w in snapshot.warnings if w.location})


def new_count(snapshot: ClusterSnapshot, member: str | None = None) -> int:
    """Warnings that want someone's attention (status new): all, or one member's."""
    counts = snapshot.new_warnings
    return sum(counts.values()) if member is None else counts.get(member, 0)


def find(snapshot: ClusterSnapshot, uuid: str) -> IncusWarning | None:
    return next((w for w in snapshot.warnings if w.uuid == uuid), None)


def require(snapshot: ClusterSnapshot, uuid: str) -> IncusWarning:
    """The warning the page shows; one it does not is refused as Incus refuses it."""
    found = find(snapshot, uuid)
    if found is None:
        raise Refused(404, "Warning not found")
    return found
