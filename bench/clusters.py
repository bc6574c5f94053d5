"""Several clusters in one dashboard, SIMULATED (bench/incus_sim.py, one process and port
each, 100 members by default): for each cluster count, a fresh dashboard holding them all,
--viewers SSE streams on each cluster's member table, then

- the dashboard's RSS before any stream (memory per added cluster, across the counts) and with them;
- an idle window counting each simulation's requests (and the dashboard's own count of them,
  /metrics by cluster): a cluster's upstream load should not move with viewers or clusters;
- --changes member description changes, made on the clusters in turn (the simulation sends
  Incus's `cluster-member-updated` event), each timed from its return to every stream of its
  cluster: p50/p99 per cluster and over all;
- with --freeze-turns K (several clusters): the last cluster's simulation stopped (SIGSTOP:
  it accepts connections and answers nothing) for K changes on the others, running for the
  next K, and so on; how far the others' p99 moved between the two, with a 95 % interval.

    python -m bench.clusters --clusters 1 2 5 10 --viewers 100 --freeze-turns 10
"""

import argparse
import os
import secrets
import signal
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.harness import DASHBOARD_ENV, MEMBERS_STREAM, Change, Seen, fleet, report
from bench.incus_sim import answers, served, spawn
from bench.large import REACH
from bench.proc import raise_nofile
from bench.proc import usage_of_tree as usage
from tests.conftest import Dashboard, free_port, wait_until
from webui.middleware.cluster_paths import pages_of


class SimulatedChange(Change):
    """Harness's change, made on a simulation: its member's description, and the event."""

    def __init__(self, port: int, name: str = "member2") -> None:
        self.name, self.run, self.count = name, secrets.token_hex(3), 0
        self.body = {"description": ""}
        self.http = httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=False)

    def _put(self, description: str) -> None:
        self.http.post("/sim/describe", json={"member": self.name, "description": description}).raise_for_status()


class Simulation:
    """One simulated cluster, in its own folder, on its own port."""

    def __init__(self, name: str, members: int, folder: Path) -> None:
        folder.mkdir()
        self.name, self.port = name, free_port()
        self.process, cert, key = spawn(members, folder, self.port)
        self.reach = REACH.format(port=self.port, cert=cert, key=key)
        self.change = SimulatedChange(self.port)

    def requests(self) -> int:
        """What it served the dashboard so far."""
        return sum(served(self.port).values())

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.thaw()  # a stopped process would never see its SIGTERM
        self.change.http.close()  # uvicorn's shutdown waits for every open connection
        self.process.terminate()
        self.process.wait(timeout=30)


def merged(seen: list[Seen]) -> Seen:
    """Several fleets' streams as one (each stream only ever sees its own cluster's markers)."""
    return Seen(
        first_seen=[s for one in seen for s in one.first_seen],
        first_arrived=[s for one in seen for s in one.first_arrived],
    )


def measure(args: argparse.Namespace, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="incus-webui-clusters-") as tmp, ExitStack() as stack:
        folder = Path(tmp)
        sims = []
        for i in range(1, count + 1):
            sims.append(Simulation(f"sim{i:02}", args.members, folder / f"sim{i:02}"))
            stack.callback(sims[-1].stop)
        for sim in sims:
            wait_until(lambda sim=sim: answers(sim.port), timeout=60, interval=0.5)
        settings = folder / "webui.toml"
        settings.write_text("\n".join(f'[[clusters]]\nname = "{s.name}"\n{s.reach}' for s in sims))
        server = Dashboard(settings, folder / "webui.db", **DASHBOARD_ENV)
        stack.callback(server.stop)
        listed = lambda: server.get("/api/v1/clusters").json()["metadata"]  # noqa: E731
        wait_until(lambda: all(c["reachable"] and c["members"] for c in listed()), timeout=120)
        time.sleep(args.settle)  # the first state rounds: every member asked once
        pid = server.process.pid
        rss_idle = usage(pid).rss

        paths = {s.name: (pages_of(s.name) if count > 1 else "") + MEMBERS_STREAM for s in sims}
        fleets = {
            s.name: stack.enter_context(fleet([server], args.viewers, args.processes, path=paths[s.name]))
            for s in sims
        }
        connect = max(f.wait_ready() for f in fleets.values())
        time.sleep(2)  # let the connections settle before counting
        rss_streams = usage(pid).rss

        # Idle window: each cluster's upstream load, counted by its simulation and by /metrics.
        counted = "incus_webui_upstream_request_duration_seconds_count"
        before = {s.name: (s.requests(), server.metric(counted, cluster=s.name)) for s in sims}
        started = time.monotonic()
        time.sleep(args.window)
        minutes = (time.monotonic() - started) / 60
        after = {s.name: (s.requests(), server.metric(counted, cluster=s.name)) for s in sims}
        upstream = {n: round((after[n][0] - before[n][0]) / minutes, 1) for n in after}
        by_metrics = {n: round((after[n][1] - before[n][1]) / minutes, 1) for n in after}

        changes: dict[str, dict[str, float]] = {s.name: {} for s in sims}
        rss_rounds = []  # after every 5th round of changes (one on each cluster): does it level off?
        for n in range(args.changes * count):
            sim = sims[n % count]
            marker, returned = sim.change.make()
            changes[sim.name][marker] = returned
            time.sleep(args.interval)
            if (n + 1) % (5 * count) == 0:
                rss_rounds.append(round(usage(pid).rss / 2**20, 1))

        frozen_run: dict[str, Any] = {}
        turns: dict[str, float] = {}  # changes of the others during the frozen turns
        moved: set[str] = set()
        if args.freeze_turns and count > 1:
            frozen, others = sims[-1], sims[:-1]
            ages: list[float] = []
            for n in range(args.freeze_changes):
                if n % args.freeze_turns == 0:  # a new turn
                    if (n // args.freeze_turns) % 2 == 0:
                        frozen.freeze()
                    else:  # the frozen cluster's data, as the dashboard serves it, had aged meanwhile
                        ages.append(next(c for c in listed() if c["name"] == frozen.name)["data_age_seconds"])
                        frozen.thaw()
                    time.sleep(args.settle_turn)  # frozen: its requests now hang; thawed: it caught up
                sim = others[n % len(others)]
                marker, returned = sim.change.make()
                turns[marker] = returned
                if (n // args.freeze_turns) % 2 == 0:
                    moved.add(marker)
                time.sleep(args.interval)
            frozen.thaw()
            frozen_run = {"frozen_cluster": frozen.name, "freeze_turns": args.freeze_turns, "frozen_data_age_s": ages}
        rss_end = usage(pid).rss
        seen = {name: f.stop() for name, f in fleets.items()}

    all_changes = {m: t for per in changes.values() for m, t in per.items()}
    together = merged(list(seen.values()))
    per_cluster = {
        name: {k: v for k, v in seen[name].summary(changes[name]).items() if k != "per_change_ms"} for name in seen
    }
    if turns:
        others = merged([seen[name] for name in seen if name != frozen_run["frozen_cluster"]])
        frozen_run |= {
            "with_frozen": _short(others.latency({m: t for m, t in turns.items() if m in moved})),
            "without_frozen": _short(others.latency({m: t for m, t in turns.items() if m not in moved})),
            **others.p99_moved(turns, moved),
        }
    return {
        "simulated": True,
        "clusters": count,
        "members_each": args.members,
        "viewers_each": args.viewers,
        "viewers": args.viewers * count,
        "connect_s": round(connect, 2),
        "rss_idle_mib": round(rss_idle / 2**20, 1),
        "rss_streams_mib": round(rss_streams / 2**20, 1),
        "rss_every_5_rounds_mib": rss_rounds,
        "rss_end_mib": round(rss_end / 2**20, 1),
        "upstream_per_min": upstream,  # per cluster, as each simulation counted
        "upstream_per_min_mean": round(statistics.mean(upstream.values()), 1),
        "upstream_per_min_by_metrics": by_metrics,  # the dashboard's own count, /metrics by cluster
        "lost": sum(p["lost"] for p in per_cluster.values()),
        "duplicates": sum(p["duplicates"] for p in per_cluster.values()),
        "ended_early": sum(p["ended_early"] for p in per_cluster.values()),
        **_short(together.latency(all_changes)),
        "per_cluster": {
            name: {k: p[k] for k in ("changes", "lost", "p50_ms", "p99_ms", "arrived_p99_ms")}
            for name, p in per_cluster.items()
        },
        **frozen_run,
    }


def _short(latency: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in latency.items() if not k.endswith("per_change_ms")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, nargs="+", default=[1, 2, 5, 10])
    parser.add_argument("--members", type=int, default=100, help="members of each simulated cluster")
    parser.add_argument("--viewers", type=int, default=100, help="streams on each cluster's member table")
    parser.add_argument("--processes", type=int, default=1, help="client processes per cluster")
    parser.add_argument("--settle", type=float, default=15, help="seconds after every cluster answered")
    parser.add_argument("--window", type=float, default=60, help="idle seconds counting upstream requests")
    parser.add_argument("--changes", type=int, default=20, help="changes per cluster")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between changes (any cluster's)")
    parser.add_argument("--freeze-turns", type=int, default=0, metavar="K", help="the last cluster frozen K changes")
    parser.add_argument("--freeze-changes", type=int, default=160, help="changes on the others, in turns")
    parser.add_argument("--settle-turn", type=float, default=4, help="seconds after each freeze or thaw")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    raise_nofile()
    results = []
    for count in args.clusters:
        results.append(result := measure(args, count))
        report("clusters", result, args.json)
    if len(results) > 1:  # memory per added cluster: the slope from the fewest clusters to each count
        first = results[0]
        slopes = {
            r["clusters"]: round((r["rss_idle_mib"] - first["rss_idle_mib"]) / (r["clusters"] - first["clusters"]), 1)
            for r in results[1:]
        }
        report("clusters-memory", {"rss_idle_mib": {r["clusters"]: r["rss_idle_mib"] for r in results},
                                   "mib_per_added_cluster": slopes}, args.json)


if __name__ == "__main__":
    main()
