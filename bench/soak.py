"""Soak: SSE clients held for --minutes while a change is made every --every seconds.

Reports the dashboard's RSS and open descriptors at the start, every minute and at the end
(they should stay flat), and whether every stream got every change exactly once.

    INCUS_WEBUI_DEV_SUBNET=127.0.27 INCUS_WEBUI_BENCH_DIR=/var/tmp/iw7s \\
        python -m bench.soak --minutes 30 --clients 100
"""

import argparse
import time
from pathlib import Path

from bench.harness import Change, cluster, dashboard, fleet, report
from bench.proc import raise_nofile, usage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between changes")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--json", type=Path, help="append the result as a JSON line here")
    args = parser.parse_args()
    raise_nofile()
    cl = cluster()
    change = Change(cl)
    with dashboard(cl) as server, fleet([server], args.clients, args.processes) as streams:
        streams.wait_ready()
        pid = server.process.pid
        start = usage(pid)
        samples = [(0.0, start.rss, start.fds)]
        changes: dict[str, float] = {}
        began = time.monotonic()
        end = began + args.minutes * 60
        try:
            while time.monotonic() < end:
                marker, returned = change.make()
                changes[marker] = returned
                elapsed = time.monotonic() - began
                if elapsed - samples[-1][0] >= 60:
                    now = usage(pid)
                    samples.append((elapsed, now.rss, now.fds))
                    print(
                        f"{elapsed / 60:.0f} min: RSS {now.rss / 2**20:.1f} MiB, {now.fds} fds, {len(changes)} changes",
                        flush=True,
                    )
                time.sleep(max(0.0, args.every - (time.monotonic() - began - elapsed)))
        finally:
            change.restore()
        time.sleep(3)  # the last change reaches the streams
        final = usage(pid)
        seen = streams.stop()
    report(
        "soak",
        {
            "minutes": round((time.monotonic() - began) / 60, 1),
            "clients": args.clients,
            "expected_receipts": len(changes) * args.clients,
            **seen.summary(changes),
            "rss_mib": {"start": round(start.rss / 2**20, 1), "end": round(final.rss / 2**20, 1)},
            "fds": {"start": start.fds, "end": final.fds},
            "cpu_s": round(final.cpu - start.cpu, 1),
            "samples": [(round(t / 60, 1), round(r / 2**20, 1), f) for t, r, f in samples],
        },
        args.json,
    )


if __name__ == "__main__":
    main()
