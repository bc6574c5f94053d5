"""The member table at 1,000 members: a simulation (no Incus cluster has 1,000 members on this
machine). A simulated snapshot of N members, each with a full hour of state samples, is rendered
with the dashboard's own templates, then the page is opened in headless Chromium (its static
files served from webui/static) to time sorting, filtering and a live frame of new figures.

    .venv/bin/python -m bench.member_table --members 1000 --json bench/results/2026-12-01.jsonl

Server figures are CPU time (time.process_time) and wall time, median of --repeat runs:
- page, kept: the whole member page when every row's fragments are kept (the usual case: the
  hub rendered them for the live frames, or an earlier page did);
- page, cold: the same with nothing kept (the first page after a state sample when no member
  table is open anywhere);
- figures frame: what the hub renders once per state sample for every open member table.
Browser figures (performance.now() in the page): a sort click and a filter keystroke on N rows,
applying a frame of new figures for every row, and the page's load until its first paint.
"""

import argparse
import json
import os
import statistics
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from playwright.sync_api import Route, sync_playwright

from webui.app import PAGES, make_templates
from webui.auth.roles import can
from webui.incus.models import Instance, Member, MemberState
from webui.live.snapshot import ClusterSnapshot
from webui.live.trends import Trends
from webui.member_rows import MemberRows

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
STATIC = Path(__file__).resolve().parents[1] / "webui" / "static"
GIB = 1024**3


def simulated(count: int, trends: Trends, interval: float) -> ClusterSnapshot:
    """N members with a database role for three, racks, groups, 5 instances each, and an hour of
    samples every `interval` seconds."""
    now = time.time()
    members_, states, instances = [], {}, []
    for i in range(count):
        name = f"member{i + 1:04d}"
        members_.append(
            Member(
                server_name=name, url=f"https://10.{i // 250}.{i % 250}.1:8443", status="Online",
                message="Fully operational", architecture="x86_64", failure_domain=f"rack{i % 20}",
                roles=["database"] if i < 3 else [], groups=["default", f"g{i % 4}"], description=f"node {i}",
            )
        )
        for k in range(int(3600 / interval)):
            load = 0.2 + (i % 7) * 0.1 + (k % 13) * 0.05
            state = MemberState.model_validate(
                {
                    "sysinfo": {
                        "load_averages": [load, load, load], "total_ram": 64 * GIB, "free_ram": (20 + i % 30) * GIB
                    },
                    "storage_pools": {"local": {"space": {"used": (100 + i % 50) * GIB, "total": 500 * GIB}}},
                }
            )
            trends.record(name, now - 3600 + k * interval, state, 16)
        states[name] = state
        statuses = ["Stopped", "Running", "Running", "Running", "Stopped"]
        instances += [Instance(name=f"c{i}-{j}", location=name, status=status) for j, status in enumerate(statuses)]
    return ClusterSnapshot(
        members=tuple(members_), states=states, cpus={m.server_name: 16 for m in members_},
        instances=tuple(instances), reachable=True, server_name="member0001", updated_at=None,
    )


def timed(fn: Any, repeat: int) -> dict[str, float]:
    cpu, wall = [], []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return {"cpu_ms": round(statistics.median(cpu) * 1000, 1), "wall_ms": round(statistics.median(wall) * 1000, 1)}


def server(count: int, repeat: int, interval: float) -> tuple[dict[str, Any], str]:
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in PAGES:
        app.include_router(module.router)
    trends = Trends(interval)
    templates = make_templates(app, trends)
    tracemalloc.start()
    snapshot = simulated(count, trends, interval)
    held = sum(stat.size for stat in tracemalloc.take_snapshot().statistics("filename") if "trends.py" in str(stat))
    tracemalloc.stop()
    rows: MemberRows = templates.env.globals["member_rows"]  # type: ignore[assignment]
    identity = SimpleNamespace(name="bench", role="admin")
    context = dict(snapshot=snapshot, group="", stream_url="/stream", csrf_token="x", identity=identity,
                   audit_problem="", can=can)
    page = templates.get_template("members/index.html")

    def cold() -> None:
        rows.kept.forget()
        page.render(context)

    results: dict[str, Any] = {
        "trends_kib_per_member": round(held / count / 1024, 1),
        "page_cold": timed(cold, repeat),
        "page_kept": timed(lambda: page.render(context), repeat),
    }
    names = [m.server_name for m in snapshot.members]
    frame = templates.get_template("members/_metrics.html")

    def figures() -> None:  # a new sample for every member, then the frame the hub renders
        for member in snapshot.members:
            rows.kept.forget(("figures", member.server_name))
        frame.render(snapshot=snapshot, names=names)

    results["figures_frame"] = timed(figures, repeat)
    html = page.render(context)
    results["page_bytes"] = len(html.encode())
    results["figures_frame_bytes"] = len(frame.render(snapshot=snapshot, names=names).encode())
    return results, html


def browser(html: str, frame: str, repeat: int) -> dict[str, Any]:
    def serve(route: Route) -> None:
        path = route.request.url.split("/static/", 1)
        if len(path) == 2:
            route.fulfill(path=str(STATIC / path[1].split("?")[0]))
        elif route.request.url.endswith("/"):
            route.fulfill(body=html, content_type="text/html")
        else:
            route.fulfill(status=204)  # the stream: none in this simulation

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = chromium.new_page(viewport={"width": 1440, "height": 900})
        page.route("http://bench.invalid/**", serve)
        loads = []
        for _ in range(repeat):
            page.goto("http://bench.invalid/")
            page.wait_for_function("document.querySelector('th[aria-sort]') !== null")  # members.js applied
            loads.append(page.evaluate("performance.getEntriesByType('paint').map(p => p.startTime).pop() || 0"))
        sort = page.evaluate(
            """(n) => { const out = [];
                for (let i = 0; i < n; i++) { const t = performance.now();
                  document.querySelector('button[data-sort="c"]').click(); out.push(performance.now() - t); }
                return out; }""",
            repeat,
        )
        filter_ = page.evaluate(
            """async (n) => { const out = []; const box = document.getElementById('member-filter');
                for (let i = 0; i < n; i++) { box.value = i % 2 ? 'rack1' : 'status:online group:g2';
                  const t = performance.now(); box.dispatchEvent(new Event('input'));
                  await new Promise(r => requestAnimationFrame(() => setTimeout(r)));
                  out.push(performance.now() - t); }
                return out; }""",
            repeat,
        )
        figures = page.evaluate(
            """async ([frame, n]) => { const out = []; const holder = document.getElementById('member-metrics');
                for (let i = 0; i < n; i++) { const t = performance.now();
                  const options = {bubbles: true, cancelable: true, detail: {data: frame}};
                  holder.dispatchEvent(new CustomEvent('htmx:sseBeforeMessage', options));
                  await new Promise(r => requestAnimationFrame(() => setTimeout(r)));
                  out.push(performance.now() - t); }
                return out; }""",
            [frame, repeat],
        )
        shown = page.evaluate("document.getElementById('member-count').textContent")
        chromium.close()
    ms = lambda xs: round(statistics.median(xs), 1)  # noqa: E731
    return {
        "first_paint_ms": ms(loads), "sort_ms": ms(sort), "filter_ms": ms(filter_), "figures_frame_ms": ms(figures),
        "count_text": shown,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--interval", type=float, default=10.0, help="state interval of the simulated samples")
    parser.add_argument("--json", type=Path, help="append the results to this JSON lines file")
    args = parser.parse_args()
    for count in args.members:
        results, html = server(count, args.repeat, args.interval)
        results["browser"] = browser(html, _figures(html), args.repeat)
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        record = {"bench": "member_table", "simulation": True, "members": count, "at": at,
                  "load_average": os.getloadavg()[0], **results}
        print(json.dumps(record), flush=True)
        if args.json:
            with args.json.open("a") as out:
                out.write(json.dumps(record) + "\n")


def _figures(html: str) -> str:
    """The figure cells of every row of a rendered page: what a frame of new figures carries."""
    cells = []
    for row in html.split('<tr id="member-')[1:]:
        start = row.find('<td class="col-i"')
        cells.append(row[start : row.find("</tr>")])
    return "".join(cells)


if __name__ == "__main__":
    main()
