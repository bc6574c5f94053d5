"""Stopping a dev cluster: its instances first, while the cluster still has quorum, then its
daemons, then whatever of its processes and mounts is left; `purge` also deletes its state."""

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from devcluster.client_files import write_if_changed
from devcluster.cluster import DEFAULT_STATE_DIR, DevCluster
from devcluster.formation import STOP_TIMEOUT
from devcluster.incus_cli import IncusCommandError
from devcluster.messages import log
from devcluster.processes import continue_if_stopped, kill_processes, own_processes, unmount_all, wait_dead


def down(state_dir: Path = DEFAULT_STATE_DIR, purge: bool = False, term_grace: float = 5) -> None:
    """Stop the dev cluster in state_dir: daemons, containers, mounts. purge=True wipes the state dir.

    Instances are stopped first (and restarted by the next up()), then every
    daemon gets SIGTERM and, after ``term_grace`` seconds, SIGKILL.  When all
    members go down at once some of them may otherwise wait 10-30 s for
    database timeouts; with no instances running, killing them is harmless.
    """
    state_dir = Path(state_dir).absolute()
    if not state_dir.exists():
        return
    t0 = time.monotonic()
    try:
        cl = DevCluster.load(state_dir)
    except (OSError, ValueError, KeyError):
        cl = DevCluster(state_dir=state_dir)
    names = list(cl.members)
    for d in sorted(state_dir.glob("member*")):
        if d.is_dir() and d.name not in names:
            names.append(d.name)
    pids = {}
    for n in names:
        pid = cl.daemon_pid(n)
        if pid is not None:
            continue_if_stopped(pid)
            pids[n] = pid
    if pids:
        # 1. Stop all instances while the cluster still has quorum (shutting
        #    the members down with running instances loses quorum half-way and
        #    then hangs in database timeouts).  Remember which ones ran so that
        #    the next up() starts them again.
        via = next((n for n in cl.members if n in pids), next(iter(pids)))
        try:
            running = [
                i["name"]
                for i in cl.query("/1.0/instances?recursion=1", member=via, timeout=15) or []
                if i.get("status") == "Running"
            ]
        except (IncusCommandError, ValueError, subprocess.TimeoutExpired):
            running = []
        if running:
            write_if_changed(state_dir / "resume.json", json.dumps({"running": running}) + "\n")
            log("stopping instances " + ", ".join(running))
            r = cl.incus(
                "stop", "--all", "--timeout", str(STOP_TIMEOUT), member=via, check=False, timeout=STOP_TIMEOUT + 30
            )
            if r.returncode != 0:
                cl.incus("stop", "--all", "--force", member=via, check=False, timeout=30)
        # 2. Stop the daemons (SIGTERM: leave the cluster database cleanly, exit).
        log(f"stopping daemons {', '.join(pids)} ({time.monotonic() - t0:.1f}s)")
        for pid in pids.values():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        left = wait_dead(list(pids.values()), term_grace)
        if left:
            log(f"SIGKILL for daemons still shutting down after {term_grace}s: {left}")
            kill_processes(left)
            wait_dead(left, 5)  # reaped: no zombie, and no "still running" warning at exit
        log(f"daemons stopped ({time.monotonic() - t0:.1f}s)")
    leftovers = own_processes(state_dir)
    if leftovers:
        log(f"killing leftover processes: {leftovers}")
        kill_processes(leftovers)
    unmount_all(state_dir)
    if purge:
        log(f"removing {state_dir}")
        shutil.rmtree(state_dir)
