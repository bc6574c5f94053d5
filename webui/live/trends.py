"""Recent history of each member's load, memory and storage pools, from the state samples the
watcher already takes: what the member table's sparkline and the member page's charts draw.

Kept in this process's memory only, in fixed-size rings: every dashboard process sees every
sample (its own watcher's, or the elected watcher's through PostgreSQL), so each has the same
history after an hour, and nothing is written per sample.
A restart starts the charts afresh (said on the page). The last hour keeps every sample; the
last 24 hours keep one mean per bucket (5 minutes, or the sampling interval if longer).
"""

import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable

from webui.clock import now
from webui.incus.models import MemberState
from webui.live.snapshot import ClusterSnapshot

HOUR = 3600.0
DAY = 86400.0
DAY_BUCKET = 300.0


# A stretch of a trend: sample times (seconds since the epoch, oldest first) and their values.
Series = tuple["array[float]", "array[float]"]


class Ring:
    """The newest `capacity` (time, value) pairs, oldest overwritten: two arrays of doubles,
    16 bytes a point, however long the process runs."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a ring holds at least one point")
        self.capacity = capacity
        self._times = array("d", bytes(8 * capacity))
        self._values = array("d", bytes(8 * capacity))
        self._next = 0  # where the next point goes
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, at: float, value: float) -> None:
        self._times[self._next] = at
        self._values[self._next] = value
        self._next = (self._next + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def series(self, since: float = -math.inf) -> Series:
        """The points at or after `since`, oldest first (they are appended in time order);
        copied by slicing, with no object per point."""
        if self._count < self.capacity:
            times, values = self._times[: self._count], self._values[: self._count]
        else:  # full: the oldest is where the next goes
            times = self._times[self._next :] + self._times[: self._next]
            values = self._values[self._next :] + self._values[: self._next]
        first = bisect_left(times, since)
        return times[first:], values[first:]


class Trend:
    """One metric of one member: every sample of the last hour, and bucket means for a day."""

    def __init__(self, interval: float) -> None:
        # Room for an hour at the configured interval, twice over: the watcher also samples
        # early when the configuration changes. Reads cut by time, so spare room shows nothing.
        self.hour_ring = Ring(2 * math.ceil(HOUR / interval) + 2)
        self.bucket = max(DAY_BUCKET, interval)
        self.day_ring = Ring(math.ceil(DAY / self.bucket) + 1)
        self._open: tuple[float, float, int] | None = None  # the bucket being filled: start, sum, count
        self.scale = 0.0  # the top of the chart: CPUs for load, the total for memory and pools

    def add(self, at: float, value: float, scale: float) -> None:
        self.hour_ring.append(at, value)
        self.scale = scale
        start = at - at % self.bucket
        if self._open is not None and self._open[0] != start:
            self._close()
        begun, total, count = self._open or (start, 0.0, 0)
        self._open = (begun, total + value, count + 1)

    def _close(self) -> None:
        if self._open is not None:
            start, total, count = self._open
            self.day_ring.append(start, total / count)
            self._open = None

    def hour(self, now: float) -> Series:
        return self.hour_ring.series(now - HOUR)

    def day(self, now: float) -> Series:
        """Bucket means of the last 24 hours, the bucket being filled last (so a young process
        shows a point at once)."""
        times, values = self.day_ring.series(now - DAY)
        if self._open is not None:
            start, total, count = self._open
            times.append(start)
            values.append(total / count)
        return times, values


class MemberTrends:
    """A member's trends: `load` (load-1), `memory` (bytes used), and one per storage pool."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.load = Trend(interval)
        self.memory = Trend(interval)
        self.pools: dict[str, Trend] = {}
        self.samples = 0  # how many were added: what a rendered sparkline was drawn from

    def add(self, at: float, state: MemberState, cpus: int) -> None:
        self.samples += 1
        info = state.sysinfo
        if info.load_averages:
            self.load.add(at, info.load_averages[0], float(cpus))
        if info.total_ram:
            self.memory.add(at, float(info.total_ram - info.free_ram), float(info.total_ram))
        for name, pool in state.storage_pools.items():
            if pool.space.total:
                trend = self.pools.setdefault(name, Trend(self.interval))
                trend.add(at, float(pool.space.used), float(pool.space.total))
        for gone in self.pools.keys() - state.storage_pools.keys():
            del self.pools[gone]  # a pool deleted: its chart goes with it


class Trends:
    """Every member's trends in this process, fed by each new set of member states."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._members: dict[str, MemberTrends] = {}

    def record(self, name: str, at: float, state: MemberState, cpus: int) -> None:
        self._members.setdefault(name, MemberTrends(self.interval)).add(at, state, cpus)

    def sample(self, snapshot: ClusterSnapshot, names: Iterable[str]) -> None:
        """Record the states of `names` in `snapshot` as of now: the members just asked (the
        others keep an older state, which is no new sample), or, in a follower, those whose
        state the elected watcher changed."""
        at = now().timestamp()
        for name in names:
            if (state := snapshot.states.get(name)) is not None:
                self.record(name, at, state, snapshot.cpus.get(name, 0))
        self.retain(m.server_name for m in snapshot.members)

    def of(self, name: str) -> MemberTrends | None:
        return self._members.get(name)

    def retain(self, names: Iterable[str]) -> None:
        """Forget members that left the cluster."""
        keep = set(names)
        for gone in self._members.keys() - keep:
            del self._members[gone]
