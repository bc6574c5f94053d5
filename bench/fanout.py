"""Fan-out: N SSE clients, changes made with the incus CLI, and what each costs.

For each client count: a fresh dashboard (or several, sharing one SQLite file with
--shared-db), N streams held by client processes, an idle window counting the requests the
dashboard sends to Incus (its /metrics) and the CPU the member daemons use, then --changes
member description changes, each timed from the CLI's return to every stream's receipt.
With --frozen-turns, the frozen streams are open for some of the changes and closed for the
others, in turns, and the run reports how far its p99 moved between the two.

    INCUS_WEBUI_DEV_SUBNET=127.0.17 INCUS_WEBUI_BENCH_DIR=/var/tmp/iw7b \\
        python -m bench.fanout --clients 1 100 1000
"""

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.harness import (
    Change,
    IncusRequestLog,
    cluster,
    dashboard,
    fleet,
    incusd_cpu,
    keep_logs,
    report,
    upstream_requests,
)
from bench.proc import mib, raise_nofile
from bench.proc import usage_of_tree as usage
from tests.conftest import free_port
from tests.postgres import PostgresServer


@contextmanager
def profiled(pid: int, output: Path) -> Iterator[None]:
    """A py-spy flame graph (SVG) of `pid` while the block runs."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    recorder = subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "200", "--output", str(output)])
    try:
        time.sleep(1)  # py-spy attaches
        yield
    finally:
        recorder.send_signal(signal.SIGINT)  # py-spy writes the graph on SIGINT
        recorder.wait(timeout=60)


def measure(
    args: argparse.Namespace, clients: int, database: Path | None, database_url: str, code: Path | None = None
) -> dict[str, Any]:
    cl = cluster(members=args.members)
    change = Change(cl)
    with ExitStack() as stack:
        env = {"INCUS_WEBUI_WORKERS": str(args.workers)}
        servers = [
            stack.enter_context(dashboard(cl, database, database_url, code, **env)) for _ in range(args.dashboards)
        ]
        pids = [s.process.pid for s in servers]
        time.sleep(2)  # the first resync and state round
        idle = [usage(p) for p in pids]
        processes = min(args.processes, clients)
        frozen = round(clients * args.frozen / 100)
        streams = stack.enter_context(fleet(servers, clients, processes, frozen, args.read_every))
        connect = streams.wait_ready()
        time.sleep(2)  # let connection bursts settle before counting

        # Idle window: what holding N streams costs Incus (nothing, if the design holds).
        incus_log = IncusRequestLog(cl)
        stack.callback(incus_log.stop)
        time.sleep(1)  # the monitors connect
        before_up, before_incus, started = sum(map(upstream_requests, servers)), incusd_cpu(cl), time.monotonic()
        before_idle = sum(usage(p).cpu for p in pids)
        before_log = incus_log.requests
        time.sleep(args.window)
        minutes = (time.monotonic() - started) / 60
        # With workers, /metrics answers from any one of them: only Incus's own count holds.
        upstream = (sum(map(upstream_requests, servers)) - before_up) / minutes if args.workers == 1 else None
        incus_seen = (incus_log.requests - before_log) / minutes
        incus_cpu = (incusd_cpu(cl) - before_incus) / minutes
        # The watcher's own cost: resyncs (every poll_interval) and state rounds, streams idle.
        idle_cpu = (sum(usage(p).cpu for p in pids) - before_idle) / minutes
        incus_log.stop()

        if args.py_spy:  # profile the first dashboard while the changes fan out
            stack.enter_context(profiled(pids[0], args.py_spy))
        before, clients_cpu = [usage(p) for p in pids], streams.cpu()
        # Streams the dashboard dropped for not reading (with workers, /metrics is one worker's).
        dropped_before = servers[0].metric("incus_webui_sse_streams_dropped", default=0)
        peak_rss = [u.rss for u in before]
        changes: dict[str, float] = {}
        with_frozen: set[str] = set()  # with --frozen-turns, the changes made while frozen streams were open
        try:
            for n in range(args.changes):
                # With turns, the frozen streams are open in the even ones (from the start).
                turn = n // args.frozen_turns if args.frozen_turns else 0
                if frozen and turn and n % args.frozen_turns == 0:  # a new turn: the connections settle first
                    if turn % 2 == 0:
                        streams.freeze()
                    else:
                        streams.thaw()
                    time.sleep(args.interval)
                marker, returned = change.make()
                if frozen and turn % 2 == 0:
                    with_frozen.add(marker)
                changes[marker] = returned
                deadline = time.monotonic() + args.interval
                while time.monotonic() < deadline:
                    peak_rss = [max(r, usage(p).rss) for r, p in zip(peak_rss, pids, strict=True)]
                    time.sleep(0.1)
        finally:
            change.restore()
        time.sleep(1)
        after, clients_cpu = [usage(p) for p in pids], streams.cpu() - clients_cpu
        dropped = servers[0].metric("incus_webui_sse_streams_dropped", default=0) - dropped_before
        storm = streams.storm() if args.storm else {}
        seen = streams.stop()
        logs = keep_logs(servers) if seen.lost(changes) else []
    result = {
        "code": str(code or "this"),
        "clients": clients,
        "frozen": frozen,
        "frozen_turns": args.frozen_turns if frozen else 0,
        "frozen_failed": seen.frozen_failed,
        "dropped": int(dropped) if args.workers == 1 else None,
        "workers": args.workers,
        "dashboards": args.dashboards,
        "client_processes": processes,
        "read_every_ms": args.read_every,
        "database": "postgresql" if database_url else "sqlite",
        "connect_s": round(connect, 2),
        **seen.summary(changes),
        # Taken in turns, the same run's changes with and without the frozen streams open.
        **(
            {
                "with_frozen": seen.latency({m: t for m, t in changes.items() if m in with_frozen}),
                "without_frozen": seen.latency({m: t for m, t in changes.items() if m not in with_frozen}),
                **seen.p99_moved(changes, with_frozen),
            }
            if frozen and args.frozen_turns
            else {}
        ),
        "cpu_s": [round(a.cpu - b.cpu, 2) for a, b in zip(after, before, strict=True)],
        "cpu_s_per_change": round(sum(a.cpu - b.cpu for a, b in zip(after, before, strict=True)) / len(changes), 3),
        "client_cpu_s_per_change": round(clients_cpu / len(changes), 3),
        "rss_idle_mib": [round(i.rss / 2**20, 1) for i in idle],
        "rss_start_mib": [round(b.rss / 2**20, 1) for b in before],
        # What each open stream adds: the peak over the process(es) before any stream, per stream.
        "kib_per_stream": round(
            sum(r - i.rss for r, i in zip(peak_rss, idle, strict=True)) / 1024 / (clients + frozen), 1
        ),
        "rss_peak_mib": [round(r / 2**20, 1) for r in peak_rss],
        "fds": [a.fds for a in after],
        "bytes_written": sum(a.written - b.written for a, b in zip(after, before, strict=True)),
        "bytes_received": seen.bytes,
        "upstream_per_min": None if upstream is None else round(upstream, 1),
        "incus_logged_per_min": round(incus_seen, 1),
        "incusd_cpu_s_per_min": round(incus_cpu, 2),
        "members": len(cl.members),
        "dashboard_idle_cpu_s_per_min": round(idle_cpu, 2),
        **storm,
        "dashboard_logs": logs,
    }
    return result


def storm_summary(result: dict[str, Any]) -> str:
    if "storm_resynced_s" not in result:
        return "-"
    return f"{result['storm_resynced_s']} s, {result['storm_statuses']}, {result['storm_failed']} failed"


def turns_summary(result: dict[str, Any]) -> str:
    if "with_frozen" not in result:
        return ""
    with_, without = result["with_frozen"], result["without_frozen"]
    return (
        f" (in turns of {result['frozen_turns']}: p99 {with_['p99_ms']} ms with them, {without['p99_ms']} ms"
        f" without; in the kernel {with_['arrived_p99_ms']} and {without['arrived_p99_ms']} ms;"
        f" moved {result['p99_moved_ms']} ms, 95 % interval {result['p99_moved_95_ms']};"
        f" in the kernel {result['arrived_p99_moved_ms']}, {result['arrived_p99_moved_95_ms']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--members", type=int, default=3, help="form (or reuse) a cluster of this many")
    parser.add_argument("--changes", type=int, default=10, help="changes per client count")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between changes")
    parser.add_argument("--window", type=float, default=60.0, help="idle seconds counting upstream requests")
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=1, help="server processes per dashboard, on one port")
    parser.add_argument("--frozen", type=float, default=0, help="more streams, this %% of --clients, that never read")
    parser.add_argument(
        "--frozen-turns",
        type=int,
        default=0,
        metavar="K",
        help="the frozen streams open for K changes, then closed for K, and so on (0: open throughout)",
    )
    parser.add_argument(
        "--read-every", type=int, default=0, metavar="MS", help="clients read in batches this often (0: as data comes)"
    )
    parser.add_argument("--storm", action="store_true", help="at the end, every stream reconnects at once")
    parser.add_argument("--dashboards", type=int, default=1, help="dashboard processes (clients spread over them)")
    parser.add_argument("--shared-db", action="store_true", help="dashboards share one SQLite file")
    parser.add_argument("--postgres", action="store_true", help="dashboards share one PostgreSQL database")
    parser.add_argument("--py-spy", type=Path, help="write a py-spy flame graph (SVG) of the fan-out here")
    parser.add_argument("--json", type=Path, help="append each result as a JSON line here")
    parser.add_argument("--before", type=Path, help="also measure this checkout (before/after, alternating)")
    args = parser.parse_args()
    raise_nofile()
    with tempfile.TemporaryDirectory(prefix="incus-webui-bench-db-") as tmp, ExitStack() as stack:
        database = Path(tmp) / "shared.db" if args.shared_db else None
        database_url = ""
        if args.postgres:  # a real server on 127.0.0.1, gone at the end (tests/postgres.py)
            server = PostgresServer(free_port())
            stack.callback(server.stop)
            database_url = server.create_database("bench")
        versions = ([args.before] if args.before else []) + [None]  # before, then this code, per count
        for clients, code in ((c, v) for c in args.clients for v in versions):
            result = measure(args, clients, database, database_url, code)
            report("fanout", result, args.json)
            print(
                f"{result['code']}: {clients} clients: p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms,"
                f" max {result['max_ms']} ms (in the kernel: p50 {result['arrived_p50_ms']},"
                f" p99 {result['arrived_p99_ms']} ms);"
                f" RSS peak {result['rss_peak_mib']} MiB"
                f" ({result['kib_per_stream']} KiB/stream); upstream {result['upstream_per_min']}/min"
                f" (Incus logged {result['incus_logged_per_min']}/min);"
                f" lost {result['lost']} (changes that reached no stream: {result['reached_none']}),"
                f" duplicates {result['duplicates']}; bytes {mib(result['bytes_written'])};"
                f" frozen {result['frozen']}, streams dropped {result['dropped']}{turns_summary(result)};"
                f" storm {storm_summary(result)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
