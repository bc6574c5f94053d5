"""Does the NOC wall display grow in memory over thousands of live updates?

Serves the dashboard in this process (against the dev cluster in --state-dir), opens /noc in
headless Chromium, then publishes member changes straight to the hub (every member's message
changes each time, so each update swaps every tile and the totals). At each checkpoint it
forces a garbage collection in the page and records the JS heap, DOM nodes, event listeners
(Chrome DevTools Protocol `Performance.getMetrics`) and this process's resident memory.

    .venv/bin/python -m bench.noc_memory --state-dir /var/tmp/iw6 --updates 10000
"""

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from bench.proc import usage
from tests.conftest import free_port
from webui import db
from webui.app import create_app
from webui.auth import store
from webui.live.hub import Hub
from webui.settings import Settings

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def drive(hub: Hub, start: int, count: int, pause: float) -> None:
    """`count` updates, each changing every member's message (what a flapping cluster does)."""
    for i in range(start, start + count):
        snapshot = hub.snapshot
        members = tuple(m.model_copy(update={"message": f"bench update {i}"}) for m in snapshot.members)
        hub.update(snapshot.evolve(members=members))
        await asyncio.sleep(pause)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-dir", type=Path, default=Path("/var/tmp/incus-webui-dev"))
    parser.add_argument("--updates", type=int, default=10000)
    parser.add_argument("--checkpoints", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.004, help="seconds between updates")
    args = parser.parse_args()

    database = Path(tempfile.mkdtemp()) / "bench.db"
    db.upgrade(f"sqlite:///{database}")
    engine = db.make_engine(f"sqlite:///{database}")
    token = store.create_display(engine, "bench wall")  # the wall signs in with its display URL
    engine.dispose()
    settings = Settings.load(
        config_file=args.state_dir / "webui.toml", database_url=f"sqlite:///{database}", poll_interval=1.0
    )
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", loop="asyncio"))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=lambda: loop.run_until_complete(server.serve()), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.1)
    hub: Hub = server.lifespan.state["hub"]

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 900})
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"http://127.0.0.1:{port}/noc?token={token}")
        page.wait_for_selector("#noc-member-member1")
        page.evaluate("window.swaps = 0; document.addEventListener('htmx:sseMessage', () => window.swaps++)")
        time.sleep(3)

        def measure(done: int) -> None:
            time.sleep(2)  # let the last frames arrive
            # V8's collection alone leaves detached DOM nodes to Blink's own collector: a
            # critical memory-pressure signal runs both, as a long-lived tab eventually does.
            cdp.send("Memory.simulatePressureNotification", {"level": "critical"})
            cdp.send("HeapProfiler.collectGarbage")
            time.sleep(1)
            cdp.send("HeapProfiler.collectGarbage")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            rows.append(
                {
                    "updates": done,
                    "heap_mib": metrics["JSHeapUsedSize"] / 2**20,
                    "nodes": int(metrics["Nodes"]),
                    "dom_elements": page.evaluate("document.getElementsByTagName('*').length"),
                    "listeners": int(metrics["JSEventListeners"]),
                    "swaps": page.evaluate("window.swaps"),
                    "server_rss_mib": usage(os.getpid()).rss / 2**20,
                    "subscribers": len(hub.subscribers),
                    "dropped": hub.dropped,
                }
            )
            print(rows[-1], file=sys.stderr, flush=True)

        measure(0)
        step = args.updates // args.checkpoints
        started = time.monotonic()
        for k in range(args.checkpoints):
            asyncio.run_coroutine_threadsafe(drive(hub, k * step, step, args.pause), loop).result()
            measure((k + 1) * step)
        elapsed = time.monotonic() - started
        stale = page.locator("#noc-stale").is_visible()
        browser.close()

    server.should_exit = True
    thread.join(timeout=10)
    print(
        "| updates | JS heap (MiB) | DOM nodes | elements | listeners | SSE messages"
        " | server RSS (MiB) | streams | dropped |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['updates']} | {r['heap_mib']:.2f} | {r['nodes']} | {r['dom_elements']} | {r['listeners']} | "
            f"{r['swaps']} | {r['server_rss_mib']:.1f} | {r['subscribers']} | {r['dropped']} |"
        )
    print(f"\n{args.updates} updates in {elapsed:.0f} s; STALE shown at the end: {stale}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
