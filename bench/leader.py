"""One watcher per deployment: what Incus sees from 1 and from N dashboard processes sharing
one PostgreSQL database, and how long a new leader takes when the leader is killed.

Upstream load: for each process count, fresh dashboards on a fresh database, an idle window
counting the requests Incus handled over HTTPS (its own debug log, see IncusRequestLog) and
those the dashboards say they sent (their /metrics), in the same run. With --sqlite-too, the
same N processes each on its own SQLite file (no election: today's single-host behaviour),
for comparison.

Takeover: N processes, a members stream open on each; then --kills times: SIGKILL the leader,
change a member's description with the incus CLI at once (while nobody watches), time until a
survivor reports itself leader (/metrics, polled every 50 ms) and until every stream has the
change; a fresh process replaces the killed one before the next round.

    INCUS_WEBUI_DEV_SUBNET=127.0.17 INCUS_WEBUI_BENCH_DIR=/var/tmp/iw-17a-test \\
        python -m bench.leader --processes 1 4 --window 60 --kills 5
"""

import argparse
import os
import signal
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import devcluster
from bench.harness import DASHBOARD_ENV, Change, IncusRequestLog, cluster, report
from bench.proc import percentile
from tests.conftest import Dashboard, free_port
from tests.postgres import PostgresServer
from tests.sse import Stream

LEADER = "incus_webui_watcher_leader"
UPSTREAM = "incus_webui_upstream_request_duration_seconds_count"


def start(cl: devcluster.DevCluster, folder: Path, database_url: str = "") -> Dashboard:
    """A dashboard with production settings; its own SQLite file in `folder` unless given a URL."""
    database = Path(tempfile.mkdtemp(dir=folder)) / "webui.db"
    return Dashboard(cl.settings_file, database, database_url, INCUS_WEBUI_AUDIT_KEY_FILE=str(folder / "key"),
                     **DASHBOARD_ENV)


def leaders(servers: list[Dashboard]) -> list[Dashboard]:
    return [s for s in servers if s.process.poll() is None and s.metric(LEADER) == 1]


def wait_leader(servers: list[Dashboard], timeout: float = 60) -> Dashboard:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(found := leaders(servers)) == 1:
            return found[0]
        time.sleep(0.05)
    raise TimeoutError("no single leader")


def upstream_load(cl: devcluster.DevCluster, servers: list[Dashboard], window: float) -> dict[str, float]:
    """Requests a minute over `window` idle seconds, counted by Incus and by the dashboards."""
    time.sleep(5)  # past startup's one-off requests (catching up on operations, outcomes)
    incus_log = IncusRequestLog(cl)
    try:
        time.sleep(1)  # the monitors connect
        before_log, started = incus_log.requests, time.monotonic()
        before_up = sum(s.metric(UPSTREAM, default=0) for s in servers)
        time.sleep(window)
        minutes = (time.monotonic() - started) / 60
        return {
            "incus_logged_per_min": round((incus_log.requests - before_log) / minutes, 1),
            "upstream_per_min": round((sum(s.metric(UPSTREAM, default=0) for s in servers) - before_up) / minutes, 1),
            "upstream_per_min_by_process": [round(s.metric(UPSTREAM, default=0), 0) for s in servers],
        }
    finally:
        incus_log.stop()


def load_run(args: argparse.Namespace, cl: devcluster.DevCluster, pg: PostgresServer, processes: int,
             postgres: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="incus-webui-leader-") as tmp, ExitStack() as stack:
        url = pg.create_database(f"load{processes}_{int(time.time())}") if postgres else ""
        servers = []
        for _ in range(processes):
            servers.append(start(cl, Path(tmp), url))
            stack.callback(servers[-1].stop)
        if postgres:
            wait_leader(servers)
        result = upstream_load(cl, servers, args.window)
        return {"processes": processes, "database": "postgresql" if postgres else "sqlite (one file each)", **result}


class Receipts:
    """A members stream, read in a thread: when each marker first arrived."""

    def __init__(self, server: Dashboard) -> None:
        self.stream = Stream(server.url + "/stream?topic=members", cookies=server.cookies)
        self.seen: dict[str, float] = {}
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            for frame in self.stream.frames:
                if frame is not None and "bench-" in frame.data:
                    marker = frame.data.split("bench-", 1)[1].split("<", 1)[0].split()[0]
                    self.seen.setdefault("bench-" + marker, time.time())
        except Exception:  # the stream closed (end of the run, or its process killed)
            return

    def close(self) -> None:
        self.stream.close()


def takeover_run(args: argparse.Namespace, cl: devcluster.DevCluster, pg: PostgresServer) -> dict[str, Any]:
    change = Change(cl)
    url = pg.create_database(f"takeover_{int(time.time())}")
    takeovers, delivered, lost = [], [], 0
    with tempfile.TemporaryDirectory(prefix="incus-webui-leader-") as tmp, ExitStack() as stack:
        servers = [start(cl, Path(tmp), url) for _ in range(args.processes[-1])]
        stack.callback(lambda: [s.stop() for s in servers])
        stack.callback(change.restore)
        for _ in range(args.kills):
            leader = wait_leader(servers)
            survivors = [s for s in servers if s is not leader]
            streams = [Receipts(s) for s in survivors]
            time.sleep(2)  # the streams' first refresh
            os.kill(leader.process.pid, signal.SIGKILL)
            killed = time.monotonic()
            marker, returned = change.make()  # while nobody watches
            wait_leader(survivors, timeout=30)
            takeovers.append(time.monotonic() - killed)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not all(marker in r.seen for r in streams):
                time.sleep(0.05)
            delivered += [r.seen[marker] - returned for r in streams if marker in r.seen]
            lost += sum(marker not in r.seen for r in streams)
            for receipts in streams:
                receipts.close()
            leader.stop()
            servers = [*survivors, start(cl, Path(tmp), url)]
    return {
        "processes": args.processes[-1],
        "kills": args.kills,
        "takeover_s": [round(t, 2) for t in takeovers],
        "takeover_max_s": round(max(takeovers), 2),
        "change_in_gap_to_streams_p50_s": round(percentile(delivered, 50), 2),
        "change_in_gap_to_streams_max_s": round(max(delivered, default=float("nan")), 2),
        "streams_missing_the_change": lost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--window", type=float, default=60.0, help="idle seconds counting requests to Incus")
    parser.add_argument("--kills", type=int, default=5, help="leaders killed in the takeover run (0: none)")
    parser.add_argument("--sqlite-too", action="store_true", help="also N processes on SQLite (no election)")
    parser.add_argument("--output", type=Path, help="append JSON lines here")
    args = parser.parse_args()
    cl = cluster()
    pg = PostgresServer(free_port())
    try:
        loads = []
        for processes in args.processes:
            loads.append(load_run(args, cl, pg, processes, postgres=True))
            report("leader-load", loads[-1], args.output)
            if args.sqlite_too and processes > 1:
                report("leader-load", load_run(args, cl, pg, processes, postgres=False), args.output)
        ratio = loads[-1]["incus_logged_per_min"] / loads[0]["incus_logged_per_min"]
        report("leader-ratio", {"processes": args.processes, "incus_logged_ratio": round(ratio, 3)}, args.output)
        if args.kills:
            report("leader-takeover", takeover_run(args, cl, pg), args.output)
    finally:
        pg.stop()


if __name__ == "__main__":
    main()
