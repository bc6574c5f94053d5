"""Large clusters, SIMULATED (bench/incus_sim.py replays recorded real replies at the scale
asked): what the dashboard asks Incus a minute as the member count grows, with the adaptive
state rounds and with every member asked every round (the code before, `state_budget` =
members), the watcher's CPU per resync, and the member page and /api/v1/cluster/members
timed beside the simulation's own `GET /1.0/cluster/members?recursion=1`.

    python -m bench.large --members 100 1000 --window 60
"""

import argparse
import asyncio
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.harness import DASHBOARD_ENV, report
from bench.incus_sim import answers, served, spawn
from bench.pages import run as hammer_all
from bench.proc import raise_nofile, usage
from tests.conftest import Dashboard, free_port, wait_until

# A cluster's way in, in the settings file: the simulation's address and certificate.
REACH = """addresses = ["https://127.0.0.1:{port}"]
client_cert = "{cert}"
client_key = "{key}"
server_cert = "{cert}"
"""


def simulated(members: int, folder: Path) -> tuple[subprocess.Popen[bytes], Path, int]:
    """The simulation on a free port, and a settings file pointing a dashboard at it."""
    port = free_port()
    sim, cert, key = spawn(members, folder, port)
    settings = folder / "webui.toml"
    # The simulation asks for no client certificate: the dashboard presents its own anyway.
    settings.write_text(REACH.format(port=port, cert=cert, key=key))
    return sim, settings, port


def measure(args: argparse.Namespace, members: int, budget: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="incus-webui-sim-") as tmp:
        folder = Path(tmp)
        sim, settings, port = simulated(members, folder)
        try:
            wait_until(lambda: answers(port), timeout=60, interval=0.5)
            env = {**DASHBOARD_ENV, "INCUS_WEBUI_STATE_BUDGET": str(budget)}
            server = Dashboard(settings, folder / "webui.db", **env)
            try:
                wait_until(lambda: server.get("/api/v1/cluster/members").status_code == 200, timeout=120)
                time.sleep(args.settle)  # every member asked once (the first rounds), cpus cached
                # A member page open: that member is asked every round whatever the budget.
                with server.stream("/stream?topic=member:member7"):
                    before, cpu, started = served(port), usage(server.process.pid).cpu, time.monotonic()
                    time.sleep(args.window)
                    after, cpu = served(port), usage(server.process.pid).cpu - cpu
                minutes = (time.monotonic() - started) / 60
                per_min = {k: round((after.get(k, 0) - before.get(k, 0)) / minutes, 1) for k in after}
                resyncs = after.get("GET /1.0/cluster/members", 0) - before.get("GET /1.0/cluster/members", 0)
                pages = asyncio.run(_pages(args, server, port)) if args.seconds else {}
            finally:
                server.stop()
        finally:
            sim.terminate()
            sim.wait(timeout=30)
    return {
        "simulated": True,
        "members": members,
        "state_budget": budget,
        "upstream_per_min": round(sum(per_min.values()), 1),
        "upstream_by_endpoint_per_min": {k: v for k, v in per_min.items() if v},
        "resyncs": resyncs,
        # All the dashboard's CPU over the window (state rounds, resyncs, the open stream) per resync.
        "dashboard_cpu_ms_per_resync": round(cpu / max(resyncs, 1) * 1000, 1),
        "pages": pages,
    }


async def _pages(args: argparse.Namespace, server: Dashboard, port: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=args.concurrency)
    async with (
        httpx.AsyncClient(base_url=server.url, cookies=server.cookies, limits=limits, timeout=60) as web,
        httpx.AsyncClient(verify=False, limits=limits, timeout=60) as sim,
    ):
        return await hammer_all(
            args,
            {
                "dashboard /": (web, "/"),
                "dashboard /members/member7": (web, "/members/member7"),
                "dashboard /api/v1/cluster/members?recursion=1": (web, "/api/v1/cluster/members?recursion=1"),
                "simulation /1.0/cluster/members?recursion=1": (
                    sim, f"https://127.0.0.1:{port}/1.0/cluster/members?recursion=1"
                ),
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--settle", type=float, default=15, help="seconds before counting")
    parser.add_argument("--seconds", type=float, default=10, help="per URL in the page timing (0: none)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--adaptive-only", action="store_true", help="not also every member every round (before)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    raise_nofile()
    for members in args.members:
        for budget in (16,) if args.adaptive_only else (16, members):  # adaptive, then every member (before)
            try:
                result = measure(args, members, budget)
            except TimeoutError as exc:  # a dashboard that never got healthy is a result too
                result = {"simulated": True, "members": members, "state_budget": budget, "failed": str(exc)}
            report("large", result, args.json)


if __name__ == "__main__":
    main()
