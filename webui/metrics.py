"""/metrics through prometheus_client, one registry per app (no process-wide state).

What happens per request, per upstream call or per change is counted where it happens, in
histograms and counters the hub, the transport, the audit log and the timing middleware own
(unregistered, so each app has its own). Everything else, the cluster as the dashboard sees
it and the SSE queues, is read from memory only when Prometheus asks: nothing is done per SSE
frame but the hub's own frame counter.

Each held cluster has its own hub, transport and watcher: what they count is exported with a
`cluster` label (its name in the dashboard's settings, a bounded set), one series per cluster.
What the whole dashboard shares (requests to it, the audit log, the process) has no such label."""

import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, GCCollector, Histogram, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from webui.audit.log import AuditLog
from webui.clock import now
from webui.services.members.rules import MEMBER_OPERATIONS

if TYPE_CHECKING:
    from webui.clusters import WatchedCluster

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

    def watch(self, clusters: Mapping[str, "WatchedCluster"], audit: AuditLog) -> None:
        """Add the lifespan's objects: called once they exist, with every cluster held."""
        for owned in (audit.appends, audit.failures):
            self.registry.register(owned)
        self.registry.register(_ByCluster(clusters))
        self.registry.register(_Clusters(clusters, self.started))


class _ByCluster(Collector):
    """Each cluster's own histograms and counters (its hub's render time, its transport's
    requests and errors), merged into one family apiece with a `cluster` label."""

    def __init__(self, clusters: Mapping[str, "WatchedCluster"]) -> None:
        self.clusters = clusters

    def describe(self) -> Iterable[Metric]:
        return []  # collected on demand; the registry need not call collect() to learn names

    def collect(self) -> Iterable[Metric]:
        merged: dict[str, Metric] = {}
        for name, held in self.clusters.items():
            transport = held.client.transport
            for owned in (held.hub.render_seconds, transport.latency, transport.errors):
                for family in owned.collect():
                    into = merged.setdefault(
                        family.name, Metric(family.name, family.documentation, family.type, family.unit)
                    )
                    for sample in family.samples:
                        into.add_sample(sample.name, {"cluster": name, **sample.labels}, sample.value)
        return merged.values()


class _Clusters(Collector):
    """The SSE streams and each cluster, read at scrape time from its hub and snapshot."""

    def __init__(self, clusters: Mapping[str, "WatchedCluster"], started: float) -> None:
        self.clusters = clusters
        self.started = started

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        families = [(kind(name, text, labels=["cluster"]), value) for kind, name, text, value in _PER_CLUSTER]
        members = GaugeMetricFamily(
            "incus_webui_cluster_members", "Cluster members by status, as last seen.", labels=["cluster", "status"]
        )
        age = GaugeMetricFamily(
            "incus_webui_resync_age_seconds",
            "Seconds since the last successful resync with Incus (since start when none yet).",
            labels=["cluster"],
        )
        for name, held in self.clusters.items():
            depths = [len(s.frames) for s in list(held.hub.subscribers)]
            for family, value in families:
                family.add_metric([name], value(held, depths))
            snapshot = held.hub.snapshot
            statuses: dict[str, int] = {}
            for member in snapshot.members:
                # A label from a bounded set, whatever text Incus reports.
                status = member.status.lower() if member.status.lower() in MEMBER_STATUSES else "other"
                statuses[status] = statuses.get(status, 0) + 1
            for status, count in sorted(statuses.items()):
                members.add_metric([name, status], count)
            since = (now() - snapshot.updated_at).total_seconds() if snapshot.updated_at else None
            age.add_metric([name], since if since is not None else time.monotonic() - self.started)
        return [*(family for family, _ in families), members, age]


# One series per cluster, each read from the cluster and its streams' queue depths.
_PER_CLUSTER: tuple[
    tuple[type[GaugeMetricFamily | CounterMetricFamily], str, str, Callable[["WatchedCluster", list[int]], float]],
    ...,
] = (
    (GaugeMetricFamily, "incus_webui_sse_streams_open", "Open SSE streams.", lambda held, depths: len(depths)),
    (
        CounterMetricFamily, "incus_webui_sse_streams_dropped",
        "SSE streams dropped for not reading (they reconnect).", lambda held, depths: held.hub.dropped,
    ),
    (
        GaugeMetricFamily, "incus_webui_sse_queue_depth_max", "Frames waiting in the fullest SSE queue.",
        lambda held, depths: max(depths, default=0),
    ),
    (
        GaugeMetricFamily, "incus_webui_sse_queued_frames", "Frames waiting in all SSE queues.",
        lambda held, depths: sum(depths),
    ),
    (
        CounterMetricFamily, "incus_webui_frames_published", "Fragments rendered and published.",
        lambda held, depths: held.hub.frames_published,
    ),
    (
        GaugeMetricFamily, "incus_webui_watcher_leader",
        "1 when this process watches Incus (the elected one of those sharing PostgreSQL), else 0.",
        lambda held, depths: int(held.leading()),
    ),
    (
        GaugeMetricFamily, "incus_webui_incus_reachable", "Whether the last resync reached Incus.",
        lambda held, depths: int(held.hub.snapshot.reachable),
    ),
    (
        GaugeMetricFamily, "incus_webui_cluster_evacuations_in_progress",
        "Members being evacuated or restored now (running operations).",
        lambda held, depths: sum(
            1 for op in held.hub.snapshot.operations if op.description in MEMBER_OPERATIONS and not op.finished
        ),
    ),
)
