"""The maintenance page: evacuations and restores, newest first, each with who asked for it,
and links to the audit records where the role may read them."""

from collections.abc import Iterable

from webui.live.fragments import Fragment, LivePage
from webui.live.snapshot import Changes, ClusterSnapshot, Maintenance
from webui.services.accounts.people import Who, asked_by
from webui.services.maintenance.runs import MaintenanceRun

MAINTENANCE = "maintenance"


def asker(run: Maintenance, snapshot: ClusterSnapshot) -> Who | None:
    """Who asked for the run, when anyone is known to have."""
    if isinstance(run, MaintenanceRun) and (run.requestor or run.account):
        return asked_by(run, snapshot)
    return None


def runs_view(snapshot: ClusterSnapshot, runs: Iterable[Maintenance]) -> list[tuple[Maintenance, Who | None]]:
    return [(run, asker(run, snapshot)) for run in runs]


def live_runs(snapshot: ClusterSnapshot, changes: Changes, key: str, role: str) -> dict[str, object]:
    """The runs the snapshot holds, newest first, as the page lists them."""
    return {"runs": runs_view(snapshot, snapshot.maintenance[::-1]), "role": role}


# The page keeps the rows this no longer sends.
PAGE = LivePage(
    MAINTENANCE,
    (
        Fragment("maintenance-runs", "maintenance/_runs.html", lambda c: c.maintenance, live_runs),
    ),
    by_role=True,
)
