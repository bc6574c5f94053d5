"""Page speed: requests per second and latency of the member table, a member's page and the
JSON API, side by side with Incus's own `GET /1.0/cluster/members?recursion=1`, same cluster,
same run, same load generator (an httpx asyncio loop in this process, the dashboard in its own).

    INCUS_WEBUI_DEV_SUBNET=127.0.17 INCUS_WEBUI_BENCH_DIR=/var/tmp/iw7b \\
        python -m bench.pages --members 3
"""

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import cluster, dashboard, report
from bench.proc import percentile, raise_nofile
from tests.conftest import Dashboard
from webui.incus.transport import pinned_ssl_context
from webui.settings import Settings


async def hammer(client: httpx.AsyncClient, url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    end = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal errors
        while time.monotonic() < end:
            started = time.perf_counter()
            reply = await client.get(url)
            latencies.append(time.perf_counter() - started)
            errors += reply.status_code != 200 or reply.next_request is not None

    began = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - began
    return {
        "requests": len(latencies),
        "errors": errors,
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }


async def run(args: argparse.Namespace, targets: dict[str, tuple[httpx.AsyncClient, str]]) -> dict[str, Any]:
    results = {}
    for name, (client, url) in targets.items():
        await hammer(client, url, 1, args.concurrency)  # warm up connections
        results[name] = await hammer(client, url, args.seconds, args.concurrency)
        print(name, results[name], flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=3, help="form (or reuse) a cluster of this many")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", type=Path, help="append the result as a JSON line here")
    args = parser.parse_args()
    raise_nofile()
    cl = cluster(members=args.members)
    connection = Settings.load(cl.settings_file).connection()
    incus_url = connection.addresses[0] + "/1.0/cluster/members?recursion=1"

    async def measure(server: Dashboard) -> dict[str, Any]:
        """The dashboard is asked as a logged-in admin (session cookie), Incus with the
        dashboard's client certificate, as the dashboard asks it."""
        limits = httpx.Limits(max_connections=args.concurrency)
        async with (
            httpx.AsyncClient(base_url=server.url, cookies=server.cookies, limits=limits, timeout=30) as web,
            httpx.AsyncClient(verify=pinned_ssl_context(connection), limits=limits, timeout=30) as incus,
        ):
            return await run(
                args,
                {
                    "dashboard /": (web, "/"),
                    "dashboard /members/member2": (web, "/members/member2"),
                    "dashboard /api/v1/cluster/members?recursion=1": (web, "/api/v1/cluster/members?recursion=1"),
                    "incus /1.0/cluster/members?recursion=1": (incus, incus_url),
                },
            )

    with dashboard(cl) as server:
        results = asyncio.run(measure(server))
    report("pages", {"members": len(cl.members), "concurrency": args.concurrency, "results": results}, args.json)


if __name__ == "__main__":
    main()
