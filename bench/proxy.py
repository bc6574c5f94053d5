"""Change-to-stream latency through nginx (contrib/nginx/incus-webui.conf) against direct.

One dashboard, a real nginx in front of it (tests/nginx.py: its own prefix, a free loopback
port), and two fleets of SSE streams held at once, one straight to the dashboard and one
through nginx; each change is timed from the CLI's return to each stream's receipt, so both
paths see the same changes.

    INCUS_WEBUI_DEV_SUBNET=127.0.18 INCUS_WEBUI_BENCH_DIR=/var/tmp/iw-18-test \\
        python -m bench.proxy --clients 1 100
"""

import argparse
import statistics
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Change, cluster, dashboard, fleet, report
from bench.proc import percentile, raise_nofile
from tests.conftest import Dashboard
from tests.nginx import Nginx


@dataclass
class Proxied:
    """What a fleet needs of a dashboard (its URL and a logged-in browser's cookies), via nginx."""

    url: str
    cookies: dict[str, str]


def measure(args: argparse.Namespace, clients: int) -> dict[str, Any]:
    cl = cluster()
    change = Change(cl)
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="incus-webui-bench-nginx-") as tmp:
        server: Dashboard = stack.enter_context(dashboard(cl))
        proxy = Nginx(Path(tmp), server.port)
        stack.callback(proxy.stop)
        processes = min(args.processes, clients)
        direct = stack.enter_context(fleet([server], clients, processes))
        via_nginx = stack.enter_context(fleet([Proxied(proxy.url, server.cookies)], clients, processes))  # type: ignore[list-item]
        direct.wait_ready()
        via_nginx.wait_ready()
        time.sleep(2)
        changes: dict[str, float] = {}
        try:
            for _ in range(args.changes):
                marker, returned = change.make()
                changes[marker] = returned
                time.sleep(args.interval)
        finally:
            change.restore()
        time.sleep(1)
        seen = {"direct": direct.stop(), "nginx": via_nginx.stop()}
    results = {path: s.summary(changes) for path, s in seen.items()}
    # Paired per change, which the machine's load (shared by both paths) mostly cancels out:
    # the median receipt through nginx minus the median receipt direct.
    extra = [
        statistics.median(s[m] for s in seen["nginx"].first_seen if m in s)
        - statistics.median(s[m] for s in seen["direct"].first_seen if m in s)
        for m in changes
        if all(any(m in s for s in fleet_seen.first_seen) for fleet_seen in seen.values())
    ]
    return {
        "clients_per_path": clients,
        "nginx_extra_p50_ms": round(percentile(extra, 50) * 1000, 2),
        "nginx_extra_p99_ms": round(percentile(extra, 99) * 1000, 2),
        **{f"{path}_{key}": result[key] for path, result in results.items()
           for key in ("received", "lost", "p50_ms", "p99_ms", "max_ms")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 100], help="streams on each path")
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between changes")
    parser.add_argument("--processes", type=int, default=2, help="client processes per path")
    parser.add_argument("--json", type=Path, help="append each result as a JSON line here")
    args = parser.parse_args()
    raise_nofile()
    for clients in args.clients:
        result = measure(args, clients)
        report("proxy", result, args.json)
        print(
            f"{clients} streams each: direct p50 {result['direct_p50_ms']} ms, p99 {result['direct_p99_ms']} ms;"
            f" nginx p50 {result['nginx_p50_ms']} ms, p99 {result['nginx_p99_ms']} ms;"
            f" nginx's extra per change p50 {result['nginx_extra_p50_ms']} ms, p99 {result['nginx_extra_p99_ms']} ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
