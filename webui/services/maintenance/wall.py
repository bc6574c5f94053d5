"""What the wall display says of each member: what is happening to it now.

An Incus without `cluster_evacuating_restoring` (before 6.0.6) marks a member "Evacuated" as
an evacuation starts, while its instances are still moving: there the wall says EVACUATING (and
RESTORING) while a run moves them, and counts those apart. A newer Incus says so itself, and
its own status is shown as it is. A failed run keeps the tile red, with Incus's reason, until someone acknowledges it
on the Maintenance page."""

from dataclasses import dataclass

from webui.filters import severity
from webui.incus.features import CLUSTER_EVACUATING_RESTORING
from webui.incus.models import Member
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance.runs import EVACUATE, MaintenanceRun

EVACUATING, RESTORING = "Evacuating", "Restoring"
# The header's totals, in this order: a member counts under exactly one.
TOTALS = ("Online", EVACUATING, "Evacuated", RESTORING, "Offline", "Blocked")


@dataclass(frozen=True)
class Tile:
    status: str  # Incus's status, or Evacuating / Restoring while a run moves its instances
    run: MaintenanceRun | None  # the run moving them
    failed: MaintenanceRun | None  # the latest failed run nobody acknowledged
    healed: bool

    @property
    def severity(self) -> str:
        return "critical" if self.failed else severity(self.status, self.healed)

    @property
    def css_status(self) -> str:
        """The tile's colour: red for an unacknowledged failure, whatever the status."""
        return "failed" if self.failed else self.status


def tile(snapshot: ClusterSnapshot, member: Member) -> Tile:
    name = member.server_name
    runs = [run for run in snapshot.maintenance if run.member == name and isinstance(run, MaintenanceRun)]
    running = next((run for run in reversed(runs) if run.running), None)
    failed = next((run for run in reversed(runs) if run.unacknowledged), None)
    status = member.status
    if running is not None and not snapshot.features.has(CLUSTER_EVACUATING_RESTORING):
        status = EVACUATING if running.kind == EVACUATE else RESTORING
    return Tile(status, running, failed, name in snapshot.healed)


def totals(snapshot: ClusterSnapshot) -> list[tuple[str, int]]:
    """Members per TOTALS status, then "Failed runs" when any waits for acknowledgement."""
    tiles = [tile(snapshot, member) for member in snapshot.members]
    counts = [(status, sum(t.status == status for t in tiles)) for status in TOTALS]
    failed = sum(t.failed is not None for t in tiles)
    return counts + ([("Failed runs", failed)] if failed else [])
