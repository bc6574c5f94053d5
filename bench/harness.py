"""What every benchmark needs: the bench cluster, a dashboard process, a fleet of SSE
client processes, and a change made with the incus CLI."""

import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import devcluster
from bench.proc import percentile, usage
from tests.conftest import Dashboard

# The benchmarks' own cluster, away from the tests' (see README, "Benchmarks").
STATE_DIR = Path(os.environ.get("INCUS_WEBUI_BENCH_DIR", "/var/tmp/incus-webui-bench"))
# Production settings, not the tests' fast ones.
DASHBOARD_ENV = {"INCUS_WEBUI_POLL_INTERVAL": "3", "INCUS_WEBUI_STATE_INTERVAL": "10", "INCUS_WEBUI_HEARTBEAT": "15"}
# Every bench stream is one logged-in user's: the per-identity cap (50 tabs) would refuse them.
DASHBOARD_ENV["INCUS_WEBUI_MAX_STREAMS_PER_IDENTITY"] = "0"
DASHBOARD_ENV["INCUS_WEBUI_MAX_STREAMS"] = "0"  # nor the process's (10,000): the benches go past it


def cluster(state_dir: Path = STATE_DIR, members: int = 3) -> devcluster.DevCluster:
    return devcluster.up(members, state_dir)


@contextmanager
def dashboard(
    cl: devcluster.DevCluster,
    database: Path | None = None,
    database_url: str = "",
    code: Path | None = None,
    **env: str,
) -> Iterator[Dashboard]:
    """A dashboard process; its own SQLite file unless `database` (a shared SQLite file) or
    `database_url` (say, a shared PostgreSQL database) is given. `code`: a checkout of another
    version to run instead of this one (`git archive REV | tar -x -C DIR`), for before/after
    figures in the same run."""
    with tempfile.TemporaryDirectory(prefix="incus-webui-bench-") as tmp:
        server = Dashboard(
            cl.settings_file, database or Path(tmp) / "webui.db", database_url, cwd=code, **{**DASHBOARD_ENV, **env}
        )
        try:
            yield server
        finally:
            server.stop()


class IncusRequestLog:
    """Incus's own count of the API requests its members handle, from their debug logs read
    with `incus monitor --type=logging --loglevel=debug` (Incus 6.0 has no request counter in
    /1.0/metrics). Only requests over HTTPS (`protocol=tls`) are counted: the dashboards'.
    The harness's own CLI uses the unix socket, and members talk to each other as `cluster`."""

    def __init__(self, cl: devcluster.DevCluster) -> None:
        members = [m for m in cl.members if cl.is_running(m)]
        self.counts = dict.fromkeys(members, 0)  # one counting thread per member
        self.monitors = []
        for member in members:
            monitor = subprocess.Popen(
                [devcluster.INCUS, "monitor", "--type=logging", "--loglevel=debug", "--pretty"],
                env=cl.cli_env(member),
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            self.monitors.append(monitor)
            threading.Thread(target=self._count, args=(monitor, member), daemon=True).start()

    @property
    def requests(self) -> int:
        return sum(self.counts.values())

    def _count(self, monitor: subprocess.Popen[str], member: str) -> None:
        assert monitor.stdout is not None
        mine = f'msg="[{member}] Handling API request"'  # a member's monitor may relay others' lines
        for line in monitor.stdout:
            if mine in line and "protocol=tls" in line:
                self.counts[member] += 1

    def stop(self) -> None:
        for monitor in self.monitors:
            monitor.terminate()
            monitor.wait(timeout=10)


def upstream_requests(server: Dashboard) -> int:
    """What the process answering /metrics has asked Incus (with workers, one of them; a
    follower that never watched has no such series: 0). Incus's own count is IncusRequestLog's."""
    return int(server.metric("incus_webui_upstream_request_duration_seconds_count", default=0))


def incusd_cpu(cl: devcluster.DevCluster) -> float:
    """CPU seconds used so far by every member's incusd: Incus's side of the upstream load
    (Incus 6.0 has no API request counters in /1.0/metrics, and logs requests only at debug)."""
    return sum(usage(cl.pid(m)).cpu for m in cl.members if cl.is_running(m))


class Change:
    """Set a member's description with `incus query -X PUT`, as an admin's script would."""

    def __init__(self, cl: devcluster.DevCluster, name: str = "member2") -> None:
        self.cl, self.name = cl, name
        member = cl.query(f"/1.0/cluster/members/{name}")
        self.body = {k: member[k] for k in ("roles", "failure_domain", "description", "config", "groups")}
        self.run = secrets.token_hex(3)
        self.count = 0

    def make(self) -> tuple[str, float]:
        """Change the description to a fresh marker; the marker and when the CLI returned."""
        self.count += 1
        marker = f"bench-{self.run}-{self.count}"
        self._put(marker)
        return marker, time.time()

    def restore(self) -> None:
        self._put(self.body["description"])

    def _put(self, description: str) -> None:
        body = json.dumps({**self.body, "description": description})
        self.cl.incus("query", "-X", "PUT", "--data", body, f"/1.0/cluster/members/{self.name}")


@dataclass
class Seen:
    """What a fleet's streams saw."""

    first_seen: list[dict[str, float]] = field(default_factory=list)  # per stream: marker -> time read
    first_arrived: list[dict[str, float]] = field(default_factory=list)  # per stream: marker -> time received
    duplicates: int = 0
    frames: int = 0
    bytes: int = 0
    ended_early: list[str] = field(default_factory=list)
    frozen_failed: list[str] = field(default_factory=list)  # frozen streams that did not open, and why

    def lost(self, changes: dict[str, float]) -> int:
        return sum(1 for s in self.first_seen for m in changes if m not in s)

    def summary(self, changes: dict[str, float]) -> dict[str, Any]:
        """Receipts, lost and duplicated updates, and latency from the CLI to each stream: when
        the client processes read each change, and (`arrived_`) when their kernel received it,
        that is when the dashboard wrote it (the clients, on the same CPUs, read it later)."""
        return {
            "changes": len(changes),
            "received": sum(m in s for s in self.first_seen for m in changes),
            "lost": self.lost(changes),
            # Changes (1 for the first) that reached no stream: the dashboard never sent them.
            "reached_none": [n for n, m in enumerate(changes, 1) if not any(m in s for s in self.first_seen)],
            "duplicates": self.duplicates,
            "ended_early": len(self.ended_early),
            "ended_early_why": Counter(self.ended_early),
            **self.latency(changes),
        }

    def latency(self, changes: dict[str, float]) -> dict[str, Any]:
        """Latency from the CLI to each stream, of these changes: read, and (`arrived_`) received."""
        return {
            **_latency(self.first_seen, changes),
            **{f"arrived_{k}": v for k, v in _latency(self.first_arrived, changes).items()},
        }

    def p99_moved(self, changes: dict[str, float], moved: set[str], rounds: int = 200) -> dict[str, Any]:
        """How much the p99 of the `moved` changes exceeds that of the others, read and
        received, with a 95 % interval from resampling whole changes: the streams of one change
        are late together, so a p99 of 100 changes is a few changes' tail and moves by tens of
        ms from run to run; the interval says how much of a difference that alone explains."""
        result = {}
        draw = random.Random(0)
        for key, first_seen in (("", self.first_seen), ("arrived_", self.first_arrived)):
            sides: tuple[list[list[float]], list[list[float]]] = ([], [])
            for m, at in changes.items():
                sides[m not in moved].append([s[m] - at for s in first_seen if m in s])
            resampled = sorted(
                _p99(draw.choices(sides[0], k=len(sides[0]))) - _p99(draw.choices(sides[1], k=len(sides[1])))
                for _ in range(rounds)
            )
            result[f"{key}p99_moved_ms"] = round((_p99(sides[0]) - _p99(sides[1])) * 1000, 1)
            result[f"{key}p99_moved_95_ms"] = [round(percentile(resampled, q) * 1000, 1) for q in (2.5, 97.5)]
        return result


def _p99(changes: list[list[float]]) -> float:
    """The p99 of every stream's latency of these changes."""
    return percentile([t for change in changes for t in change], 99)


def _latency(first_seen: list[dict[str, float]], changes: dict[str, float]) -> dict[str, Any]:
    latencies = [s[m] - t for s in first_seen for m, t in changes.items() if m in s]
    per_change = [t for m, at in changes.items() if (t := [s[m] - at for s in first_seen if m in s])]
    return {
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 1),
        # Which side a slow change was slow on: until the first stream had it (Incus, the
        # watcher's resync), or from the first stream to the last (the fan-out itself).
        "worst_first_ms": round(max((min(t) for t in per_change), default=float("nan")) * 1000, 1),
        "worst_spread_ms": round(max((max(t) - min(t) for t in per_change), default=float("nan")) * 1000, 1),
        "per_change_ms": [(round(min(t) * 1000), round(max(t) * 1000)) for t in per_change],  # first, last
    }


def keep_logs(servers: list[Dashboard]) -> list[str]:
    """Copies of the dashboards' logs, which go with their temporary directories: kept when a
    run lost something, to say why."""
    kept = STATE_DIR / "logs"
    kept.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    copies = [kept / f"{stamp}-dashboard{i}.log" for i in range(len(servers))]
    for server, copy in zip(servers, copies, strict=True):
        shutil.copyfile(server.log_file, copy)
    return [str(copy) for copy in copies]


def report(name: str, result: dict[str, Any], path: Path | None) -> None:
    """Print a result as one JSON line, and append it to `path` when given."""
    # The machine is shared: its load average says how much of a figure is someone else's.
    load = Path("/proc/loadavg").read_text().split()[:3]
    record = {"bench": name, "at": time.strftime("%FT%TZ", time.gmtime()), "loadavg": load, **result}
    print(json.dumps(record), flush=True)
    if path:
        with path.open("a") as out:
            out.write(json.dumps(record) + "\n")


# What a bench stream follows: the member table of the (first) cluster.
MEMBERS_STREAM = "/stream?topic=members"


class Fleet:
    """SSE streams held by `processes` client processes, spread over `servers` (dashboards),
    each on `path` (another cluster's: its own prefix)."""

    def __init__(
        self,
        servers: list[Dashboard],
        clients: int,
        processes: int,
        frozen: int = 0,
        read_every_ms: int = 0,
        path: str = MEMBERS_STREAM,
    ) -> None:
        self.workers: list[subprocess.Popen[str]] = []
        share, extra = divmod(clients, processes)
        frozen_share, frozen_extra = divmod(frozen, processes)
        for i in range(processes):
            count = share + (i < extra)
            held = frozen_share + (i < frozen_extra)
            if count:
                server = servers[i % len(servers)]
                url = server.url + path
                # The streams belong to a logged-in browser: they send its session cookie.
                cookie = "; ".join(f"{k}={v}" for k, v in server.cookies.items())
                self.workers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bench.sse_clients", url, str(count), cookie]
                        + [str(held), str(read_every_ms)],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                )

    def wait_ready(self, timeout: float = 120) -> float:
        started = time.monotonic()
        for worker in self.workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()  # bounded: each worker says ready or exits
            if line.strip() != "ready":
                raise RuntimeError(f"an SSE client process failed: {line!r}")
            if time.monotonic() - started > timeout:
                raise TimeoutError("SSE clients did not connect in time")
        return time.monotonic() - started

    def cpu(self) -> float:
        """CPU seconds the client processes used so far: they share the cores with the dashboard."""
        return sum(usage(w.pid).cpu for w in self.workers)

    def tell(self, command: str) -> list[dict[str, Any]]:
        """A command (`bench.sse_clients`) to every client process at once; each one's answer."""
        for worker in self.workers:
            assert worker.stdin is not None
            worker.stdin.write(command + "\n")
            worker.stdin.flush()
        answers = []
        for worker in self.workers:
            assert worker.stdout is not None
            answers.append(json.loads(worker.stdout.readline()))
        return answers

    def freeze(self) -> None:
        """Open the frozen streams again (new ones), after a thaw."""
        if failed := [why for answer in self.tell("freeze") for why in answer["failed"]]:
            raise RuntimeError(f"frozen streams failed to open: {failed}")

    def thaw(self) -> None:
        """Close the frozen streams."""
        self.tell("thaw")

    def storm(self) -> dict[str, Any]:
        """Every stream drops and reconnects at once; when the last one had its refresh again."""
        reports = self.tell("storm")
        statuses: dict[str, int] = {}
        for r in reports:
            for status, n in r["statuses"].items():
                statuses[status] = statuses.get(status, 0) + n
        return {
            "storm_resynced_s": max(r["resynced_s"] for r in reports),
            "storm_statuses": statuses,
            "storm_failed": sum(len(r["failed"]) for r in reports),
            "storm_failures": Counter(reason for r in reports for reason in r["failed"]),
            # Connections refused or reset, then made again after EventSource's reconnection time.
            "storm_retried": Counter(reason for r in reports for reason in r["retried"]),
        }

    def stop(self) -> Seen:
        seen = Seen()
        for worker in self.workers:
            out, _ = worker.communicate(timeout=120)
            report = json.loads(out.strip().splitlines()[-1])
            seen.first_seen += report["first_seen"]
            seen.first_arrived += report["first_arrived"]
            seen.duplicates += report["duplicates"]
            seen.frames += report["frames"]
            seen.bytes += report["bytes"]
            seen.ended_early += report["ended_early"]
            seen.frozen_failed += report["frozen_failed"]
        return seen

    def kill(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


@contextmanager
def fleet(
    servers: list[Dashboard],
    clients: int,
    processes: int,
    frozen: int = 0,
    read_every_ms: int = 0,
    path: str = MEMBERS_STREAM,
) -> Iterator[Fleet]:
    f = Fleet(servers, clients, processes, frozen, read_every_ms, path)
    try:
        yield f
    finally:
        f.kill()
