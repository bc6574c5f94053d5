"""Upgrading one member to a newer Incus line in place, as a package upgrade does: its daemon
gets SIGTERM (its instances keep running) and starts again on the new line.

Incus's rule: every member runs the same version. A member upgraded before the others logs
UPGRADE_WAIT and serves nothing until the last one is upgraded; the others show Blocked,
"Needs updating to newer version", meanwhile."""

import os
import signal
import time

from devcluster import daemons, lines, processes
from devcluster.cluster import DevCluster
from devcluster.messages import DevClusterError, log

# What a member upgraded before the others logs, then serves no API until they are upgraded too.
UPGRADE_WAIT = "Wait for other cluster nodes to upgrade their versions"


def upgrade_member(cl: DevCluster, name: str, to: str, timeout: float = 120) -> str:
    """Restart `name` on the Incus line `to`. Returns "ready" when it serves the API again, or
    "waiting" when it waits for the other members to be upgraded too."""
    lines.check_line(to)
    if name not in cl.members:
        raise DevClusterError(f"unknown member {name!r}")
    current = cl.line(name)
    if current == to:
        log(f"{name} already runs Incus {to}")
        return "ready" if daemons.is_ready(name, cl.cli_env(name)) else "waiting"
    if lines.LINES.index(to) < lines.LINES.index(current):
        raise DevClusterError(f"Incus cannot go back from {current} to {to}: its database only moves forward")
    if to == lines.CHROOT_LINE:
        lines.ensure_cache(lines.cache_dir(cl.state_dir))  # before the member goes down: it takes minutes
    log(f"upgrading {name}: Incus {current} -> {to}")
    pid = cl.daemon_pid(name)
    if pid is not None:
        processes.continue_if_stopped(pid)
        os.kill(pid, signal.SIGTERM)
        if processes.wait_dead([pid], 30):
            os.kill(pid, signal.SIGKILL)
            processes.wait_dead([pid], 15)
    offset = daemons.log_size(cl.incus_dir(name))
    cl.incus_lines[name] = to
    cl.save()
    cl.launch_daemon(name)
    outcome = _ready_or_waiting(cl, name, offset, timeout)
    if outcome == "ready":
        _restart_exited(cl)
    return outcome


def _restart_exited(cl: DevCluster, attempts: int = 3) -> None:
    """The last member is upgraded: the members that waited apply their own database patches
    now, and one may exit on "database is locked", even again once started. incus.service
    (Restart=on-failure) would start it again: so do we, a few times."""
    for attempt in range(1, attempts + 1):
        try:
            cl.ensure_daemons(cl.members)
            return
        except DevClusterError as exc:
            if attempt == attempts:
                raise
            first_line = str(exc).splitlines()[0]
            log(f"a member exited after the upgrade; starting it again ({attempt}/{attempts - 1}): {first_line}")


def _ready_or_waiting(cl: DevCluster, name: str, log_offset: int, timeout: float) -> str:
    incus_dir = cl.incus_dir(name)
    deadline = time.monotonic() + timeout
    restarts = 0
    while time.monotonic() < deadline:
        if daemons.is_ready(name, cl.cli_env(name)):
            return "ready"
        if UPGRADE_WAIT in daemons.log_since(incus_dir, log_offset):
            return "waiting"
        if cl.daemon_pid(name) is None:
            # Seen on 7.0.2 as the last member comes up: "Failed applying patch ...: database is
            # locked". incus.service restarts the daemon on failure; so do we, a few times.
            if restarts == 3:
                raise DevClusterError(f"{name}'s Incus {cl.line(name)} exited:\n{daemons.log_tail(incus_dir)}")
            restarts += 1
            log(f"{name}'s Incus {cl.line(name)} exited while starting; starting it again ({restarts}/3)")
            cl.launch_daemon(name)
    raise DevClusterError(f"{name} neither ready nor waiting after {timeout}s:\n{daemons.log_tail(incus_dir)}")
