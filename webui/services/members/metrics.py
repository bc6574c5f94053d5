"""What the member table and the member page show of a member's load, memory, instances and
their recent history: derived from the snapshot and the process's trends, never from Incus."""

from dataclasses import dataclass

from webui.charts import Chart, chart
from webui.clock import now
from webui.live.snapshot import ClusterSnapshot
from webui.live.trends import DAY, HOUR, Trend, Trends


@dataclass(frozen=True)
class Column:
    letter: str  # as `incus cluster list -c` takes it, where Incus has the column
    title: str
    sort: str  # "text", "number", or "" (not sortable)


# Incus's columns in Incus's order (`incus cluster list -c nurafdsm`), then the dashboard's own.
COLUMNS = (
    Column("n", "NAME", "text"),
    Column("u", "URL", "text"),
    Column("r", "ROLES", "text"),
    Column("a", "ARCHITECTURE", "text"),
    Column("f", "FAILURE DOMAIN", "text"),
    Column("d", "DESCRIPTION", "text"),
    Column("s", "STATUS", "text"),
    Column("m", "MESSAGE", "text"),
    Column("v", "INCUS", "text"),
    Column("g", "GROUPS", "text"),
    Column("i", "INSTANCES", "number"),
    Column("c", "CPU LOAD", "number"),
    Column("M", "MEMORY", "number"),
    Column("h", "LOAD, LAST HOUR", ""),
)
DEFAULT_COLUMNS = "nrfdsmvicMh"  # Incus's default (nurafdsm) less URL and architecture, then ours


@dataclass(frozen=True)
class Metrics:
    """One row's figures; None where the member has not reported them (yet)."""

    running: int
    instances: int
    cpus: int
    load: float | None  # load-1
    memory_used: int | None
    memory_total: int | None
    trend: Chart | None  # load over the last hour

    @property
    def load_per_cpu(self) -> float | None:
        return self.load / self.cpus if self.load is not None and self.cpus else None


def row_metrics(snapshot: ClusterSnapshot, trends: Trends, name: str) -> Metrics:
    instances = snapshot.instances_on(name)
    state = snapshot.states.get(name)
    info = state.sysinfo if state else None
    history = trends.of(name)
    return Metrics(
        running=sum(i.status == "Running" for i in instances),
        instances=len(instances),
        cpus=snapshot.cpus.get(name, 0),
        load=info.load_averages[0] if info and info.load_averages else None,
        memory_used=info.total_ram - info.free_ram if info and info.total_ram else None,
        memory_total=info.total_ram if info and info.total_ram else None,
        trend=_draw(history.load, HOUR, 100, 24, most=60) if history else None,
    )


@dataclass(frozen=True)
class Panel:
    """One chart of the member page."""

    key: str  # stable, for element ids: load-hour, pool-local-day
    title: str
    kind: str  # "load" or "bytes": how its values are worded
    window: str  # "hour" or "day"
    chart: Chart


WINDOWS = (("hour", HOUR), ("day", DAY))


def member_panels(trends: Trends, name: str) -> list[Panel]:
    """Load, memory and each storage pool, over the last hour and the last 24 hours."""
    history = trends.of(name)
    if history is None:
        return []
    metrics = [("load", "Load (1 min)", "load", history.load), ("memory", "Memory used", "bytes", history.memory)]
    metrics += [(f"pool-{pool}", f"Storage pool {pool}", "bytes", t) for pool, t in sorted(history.pools.items())]
    return [
        Panel(f"{key}-{window}", title, kind, window, drawn)
        for window, span in WINDOWS
        for key, title, kind, trend in metrics
        if (drawn := _draw(trend, span, 360, 120)) is not None
    ]


def _draw(trend: Trend, span: float, width: int, height: int, most: int = 120) -> Chart | None:
    at = now().timestamp()
    times, values = trend.hour(at) if span == HOUR else trend.day(at)
    if not times:
        return None
    # Load is drawn up to the CPU count (one load per CPU: busy) or the highest load seen.
    top = max(trend.scale, max(values))
    return chart(times, values, at - span, at, top, width, height, most)
