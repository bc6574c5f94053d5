"""/metrics through prometheus_client, one registry per app (no process-wide state).

What happens per request, per upstream call or per change is counted where it happens, in
histograms and counters the hub, the transport, the audit log and the timing middleware own
(unregistered, so each app has its own). Everything else, the cluster as the dashboard sees
it and the SSE queues, is read from memory only when Prometheus asks: nothing is done per SSE
frame but the hub's own frame counter."""

import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, GCCollector, Histogram, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from webui.audit.log import AuditLog
from webui.clock import now
from webui.incus.transport import Transport
from webui.live.hub import Hub
from webui.services.members.rules import MEMBER_OPERATIONS

# Incus's member statuses (lower case); any other is counted as "other".
MEMBER_STATUSES = frozenset({"online", "offline", "evacuated", "blocked"})


def request_histogram() -> Histogram:
    """Time to a response's first byte (an SSE stream's too, not its life), by route name."""
    return Histogram(
        "incus_webui_request_duration_seconds",
        "Time from a request's arrival to its response's first byte, by route name.",
        ["route"],
        registry=None,
    )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=self.registry)
        self.request_seconds = request_histogram()
        self.registry.register(self.request_seconds)
        self.started = time.monotonic()

    def watch(
        self, hub: Hub, transport: Transport, audit: AuditLog, leading: Callable[[], bool] = lambda: True
    ) -> None:
        """Add the lifespan's objects: called once they exist. `leading`: whether this process
        watches Incus now (the elected one, with PostgreSQL; always, with SQLite)."""
        for owned in (hub.render_seconds, transport.latency, transport.errors, audit.appends, audit.failures):
            self.registry.register(owned)
        self.registry.register(_Dashboard(hub, self.started, leading))


class _Dashboard(Collector):
    """The SSE streams and the cluster, read at scrape time from the hub and its snapshot."""

    def __init__(self, hub: Hub, started: float, leading: Callable[[], bool]) -> None:
        self.hub = hub
        self.started = started
        self.leading = leading

    def describe(self) -> Iterable[Metric]:
        return []  # collected on demand; the registry need not call collect() to learn names

    def collect(self) -> Iterable[Metric]:
        hub, snapshot = self.hub, self.hub.snapshot
        depths = [len(s.frames) for s in list(hub.subscribers)]
        yield GaugeMetricFamily("incus_webui_sse_streams_open", "Open SSE streams.", len(depths))
        yield CounterMetricFamily(
            "incus_webui_sse_streams_dropped", "SSE streams dropped for not reading (they reconnect).", hub.dropped
        )
        yield GaugeMetricFamily(
            "incus_webui_sse_queue_depth_max", "Frames waiting in the fullest SSE queue.", max(depths, default=0)
        )
        yield GaugeMetricFamily("incus_webui_sse_queued_frames", "Frames waiting in all SSE queues.", sum(depths))
        yield CounterMetricFamily(
            "incus_webui_frames_published", "Fragments rendered and published.", hub.frames_published
        )
        yield GaugeMetricFamily(
            "incus_webui_watcher_leader",
            "1 when this process watches Incus (the elected one of those sharing PostgreSQL), else 0.",
            int(self.leading()),
        )
        yield GaugeMetricFamily(
            "incus_webui_incus_reachable", "Whether the last resync reached Incus.", int(snapshot.reachable)
        )
        members = GaugeMetricFamily(
            "incus_webui_cluster_members", "Cluster members by status, as last seen.", labels=["status"]
        )
        statuses: dict[str, int] = {}
        for member in snapshot.members:
            # A label from a bounded set, whatever text Incus reports.
            status = member.status.lower() if member.status.lower() in MEMBER_STATUSES else "other"
            statuses[status] = statuses.get(status, 0) + 1
        for status, count in sorted(statuses.items()):
            members.add_metric([status], count)
        yield members
        yield GaugeMetricFamily(
            "incus_webui_cluster_evacuations_in_progress",
            "Members being evacuated or restored now (running operations).",
            sum(1 for op in snapshot.operations if op.description in MEMBER_OPERATIONS and not op.finished),
        )
        since = (now() - snapshot.updated_at).total_seconds() if snapshot.updated_at else None
        yield GaugeMetricFamily(
            "incus_webui_resync_age_seconds",
            "Seconds since the last successful resync with Incus (since start when none yet).",
            since if since is not None else time.monotonic() - self.started,
        )
