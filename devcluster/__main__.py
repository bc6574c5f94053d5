"""``python -m devcluster up|down|status|add-member|demo``: the dev cluster from a shell.

Only `demo` needs the dashboard's Python packages; the rest runs on the standard library.
"""

import argparse
import subprocess
import sys
import time
from pathlib import Path

from devcluster.client_files import REMOTE_NAME
from devcluster.cluster import DEFAULT_STATE_DIR, DevCluster
from devcluster.formation import up
from devcluster.incus_cli import IncusCommandError
from devcluster.lines import DEFAULT_LINE, LINES
from devcluster.messages import DevClusterError
from devcluster.processes import is_stopped
from devcluster.teardown import down
from devcluster.upgrade import upgrade_member


def summary(cl: DevCluster) -> str:
    """The members, their daemons and containers, and how to reach them: what up and status print."""
    lines = [f"state dir: {cl.state_dir}"]
    status = {}
    insts: dict[str, list[str]] = {}
    try:
        via = cl.any_member()
        status = {m["server_name"]: m.get("status", "?") for m in cl.cluster_members(via=via, timeout=15)}
        for i in cl.instances(member=via):
            insts.setdefault(i.get("location", "?"), []).append(f"{i['name']}({i.get('status', '?')})")
    except (DevClusterError, IncusCommandError, subprocess.TimeoutExpired, ValueError) as e:
        lines.append(f"  (cluster not reachable: {str(e).splitlines()[0] if str(e) else e})")
    for m in cl.members:
        pid = cl.daemon_pid(m)
        proc = "down" if pid is None else ("FROZEN" if is_stopped(pid) else "running")
        lines.append(
            f"  {m:<9} {cl.url(m):<24} incus {cl.line(m):<4} pid {pid or '-':<7} daemon {proc:<7} "
            f"cluster {status.get(m, '?'):<9} {' '.join(sorted(insts.get(m, [])))}"
        )
    lines.append(f"settings:  {cl.settings_file}")
    lines.append(
        f"CLI:       INCUS_CONF={cl.incus_conf} incus list   (remote '{REMOTE_NAME}' = {cl.url(cl.members[0])})"
    )
    lines.append(f"local CLI: INCUS_DIR={cl.incus_dir(cl.members[0])} incus cluster list")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="dev-cluster", description="Local multi-daemon Incus cluster for incus-webui development."
    )
    ap.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help=f"default: {DEFAULT_STATE_DIR}")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="create/start the cluster (idempotent)")
    p_up.add_argument(
        "n", nargs="?", type=int, default=None, help="number of members (default: 3, or the existing cluster's size)"
    )
    p_up.add_argument(
        "--incus", choices=LINES, default=None, help=f"Incus line of new members (default {DEFAULT_LINE})"
    )
    p_upgrade = sub.add_parser("upgrade", help="restart one member's daemon on a newer Incus line, in place")
    p_upgrade.add_argument("member")
    p_upgrade.add_argument("--to", choices=LINES, required=True)
    p_down = sub.add_parser("down", help="stop everything (keeps state unless --purge)")
    p_down.add_argument("--purge", action="store_true", help="also delete the state directory")
    p_st = sub.add_parser("status", help="show members, daemons and containers")
    p_add = sub.add_parser("add-member", help="start and join one more member")
    p_add.add_argument("name", nargs="?", default=None)
    p_demo = sub.add_parser("demo", help="bring up the cluster and serve the dashboard on it")
    p_demo.add_argument("members", nargs="?", type=int, default=3)
    p_demo.add_argument("--host", default="127.0.0.1")
    p_demo.add_argument("--port", type=int, default=8000)
    p_demo.add_argument("--incus", choices=LINES, default=None)
    for p in (p_up, p_upgrade, p_down, p_st, p_add, p_demo):
        p.add_argument("--state-dir", type=Path, dest="state_dir_sub", default=None)
    args = ap.parse_args(argv)
    state_dir = args.state_dir_sub or args.state_dir
    try:
        if args.cmd == "up":
            t0 = time.monotonic()
            n = args.n
            if n is None:
                try:
                    n = max(1, len(DevCluster.load(state_dir).members))
                except (OSError, ValueError, KeyError):
                    n = 3
            cl = up(n, state_dir, args.incus)
            print(summary(cl))
            print(f"up took {time.monotonic() - t0:.1f}s")
        elif args.cmd == "upgrade":
            cl = DevCluster.load(state_dir)
            outcome = upgrade_member(cl, args.member, args.to)
            if outcome == "waiting":
                print(f"{args.member} runs Incus {args.to} and waits for the other members to be upgraded")
            print(summary(cl))
        elif args.cmd == "down":
            t0 = time.monotonic()
            down(state_dir, purge=args.purge)
            print(f"down{' --purge' if args.purge else ''}: done in {time.monotonic() - t0:.1f}s")
        elif args.cmd == "status":
            try:
                cl = DevCluster.load(state_dir)
            except FileNotFoundError:
                print(f"no dev cluster in {state_dir}")
                return 1
            print(summary(cl))
        elif args.cmd == "add-member":
            cl = DevCluster.load(state_dir)
            name = cl.add_member(args.name)
            print(f"added {name} at {cl.url(name)}")
        elif args.cmd == "demo":
            # Imported here: the demo runs the dashboard, whose packages the other commands do without.
            from devcluster.demo import demo

            demo(args.members, args.host, args.port, state_dir, args.incus)
    except (DevClusterError, subprocess.CalledProcessError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
