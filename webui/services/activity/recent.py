"""What is happening now: running operations and maintenance runs, and what ended within the
last `recent_seconds`. The operations strip on every page and a member page's maintenance
block show this much; everything older is on the Operations and Maintenance pages.

"Just ended" stops being true with no change in the cluster: `expires` tells the hub when
the next entry leaves the window, so it renders the strip again then, once for everyone."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from webui.clock import now
from webui.incus.models import Operation
from webui.live.snapshot import ClusterSnapshot, Maintenance
from webui.services.maintenance.runs import MaintenanceRun, children

# Lines the strip shows at most (the rest is "and N more"): three rows stay above the fold
# of a 1440x900 screen with the page's own heading below them.
STRIP_LINES = 3


class StripLine(NamedTuple):
    operation: Operation
    run: MaintenanceRun | None  # an evacuation or restore, its instances' operations under it
    children: list[Operation]

    @property
    def running(self) -> bool:
        return self.run.running if self.run is not None else not self.operation.finished

    @property
    def failed(self) -> bool:
        if self.run is not None:
            return self.run.outcome in ("failed", "cancelled")
        return self.operation.finished and self.operation.status != "Success"


@dataclass(frozen=True)
class Strip:
    lines: tuple[StripLine, ...]  # those shown: running first, then just ended, newest first
    more: int  # beyond STRIP_LINES
    running: int
    failed: int
    succeeded: int
    window: str  # "minute", "2 minutes", "30 seconds"

    def __bool__(self) -> bool:
        return bool(self.lines)

    @property
    def summary(self) -> str:
        """The folded strip's one line: "2 running · 1 failed, 3 succeeded in the last minute"."""
        ended = ", ".join(f"{n} {word}" for n, word in ((self.failed, "failed"), (self.succeeded, "succeeded")) if n)
        parts = [f"{self.running} running"] if self.running else []
        if ended:
            parts.append(f"{ended} in the last {self.window}")
        return " · ".join(parts)


def window_words(window: timedelta) -> str:
    seconds = round(window.total_seconds())
    if seconds % 60 == 0:
        return "minute" if seconds == 60 else f"{seconds // 60} minutes"
    return f"{seconds} seconds"


def ended_at(item: Operation | Maintenance) -> datetime | None:
    """When an operation or a run ended; None while it runs (or when Incus gave no time)."""
    if isinstance(item, Operation):
        return item.updated_at if item.finished else None
    return None if item.running else item.ended_at


@dataclass(frozen=True)
class Recent:
    window: timedelta

    def is_now(self, item: Operation | Maintenance, at: datetime) -> bool:
        """Running, or ended within the window (an end with no time is not "now")."""
        running = not item.finished if isinstance(item, Operation) else item.running
        end = ended_at(item)
        return running or (end is not None and at - end < self.window)

    def strip(self, snapshot: ClusterSnapshot, at: datetime | None = None) -> Strip:
        at = at or now()
        runs = {
            run.operation_id: run
            for run in snapshot.maintenance
            if isinstance(run, MaintenanceRun) and self.is_now(run, at)
        }
        every = {run.operation_id for run in snapshot.maintenance}
        lines: list[StripLine] = []
        grouped: set[str] = set()
        for operation in snapshot.operations:
            if (run := runs.get(operation.id)) is not None:
                kids = children(snapshot, run)
                grouped |= {op.id for op in kids}
                lines.append(StripLine(operation, run, kids))
        lines += [
            StripLine(op, None, [])
            for op in snapshot.operations
            # A join token waits for hours for its member: the Joining page shows it.
            if op.id not in grouped and op.id not in every and op.class_ != "token" and self.is_now(op, at)
        ]
        # Newest first, running ones before those that ended.
        lines.sort(key=lambda line: (line.operation.created_at or at, line.operation.id), reverse=True)
        lines.sort(key=lambda line: not line.running)
        failed = sum(line.failed for line in lines)
        running = sum(line.running for line in lines)
        return Strip(
            lines=tuple(lines[:STRIP_LINES]),
            more=max(0, len(lines) - STRIP_LINES),
            running=running,
            failed=failed,
            succeeded=len(lines) - running - failed,
            window=window_words(self.window),
        )

    def maintenance_of(self, snapshot: ClusterSnapshot, member: str, at: datetime | None = None) -> Maintenance | None:
        """The member's evacuation or restore while it runs, or for the window after it ended."""
        run = snapshot.maintenance_of(member)
        return run if run is not None and self.is_now(run, at or now()) else None

    def expires(self, snapshot: ClusterSnapshot, at: datetime) -> datetime | None:
        """When the next thing shown as "just ended" at `at` stops being so (None: nothing will)."""
        items: list[Operation | Maintenance] = [*snapshot.operations, *snapshot.maintenance]
        ends = [end + self.window for item in items if (end := ended_at(item)) is not None]
        return min((end for end in ends if end > at), default=None)
