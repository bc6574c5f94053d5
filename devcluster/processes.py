"""The processes and mounts of a dev cluster, read from /proc.

A dev cluster's processes are found by where they belong (an incusd whose INCUS_DIR is under the
state directory, the LXC monitors of its containers, and their descendants), not by name alone, so
that `down` kills exactly this cluster's processes and leaves another cluster on the machine alone.
"""

import concurrent.futures
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from devcluster.messages import DevClusterError

T = TypeVar("T")
R = TypeVar("R")

# Keep references to the Popen objects of daemons we started, so that Python
# does not warn about them and so that we can reap them when they exit.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def remember_child(p: subprocess.Popen[bytes]) -> None:
    _CHILDREN[p.pid] = p


def proc_state(pid: int) -> str | None:
    """Process state letter from /proc/PID/stat (R, S, T, Z, ...) or None."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    try:
        return data[data.rindex(")") + 2]
    except (ValueError, IndexError):
        return None


def is_stopped(pid: int) -> bool:
    """Stopped by SIGSTOP (a frozen member) or a tracer."""
    return proc_state(pid) in ("T", "t")


def continue_if_stopped(pid: int) -> None:
    if is_stopped(pid):
        os.kill(pid, signal.SIGCONT)


def _reap(pid: int) -> None:
    p = _CHILDREN.get(pid)
    if p is not None:
        if p.poll() is not None:
            _CHILDREN.pop(pid, None)
        return
    try:
        os.waitpid(pid, os.WNOHANG)
    except (ChildProcessError, OSError):
        pass


def pid_alive(pid: int) -> bool:
    _reap(pid)
    st = proc_state(pid)
    return st is not None and st not in ("Z", "X")


def proc_environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    env = {}
    for item in raw.split(b"\0"):
        k, sep, v = item.partition(b"=")
        if sep:
            env[k.decode(errors="replace")] = v.decode(errors="replace")
    return env


def _proc_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _proc_exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def _proc_ppid(pid: int) -> int | None:
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
        return int(data[data.rindex(")") + 2 :].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _all_pids() -> list[int]:
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def wait_dead(pids: list[int], timeout: float) -> list[int]:
    """Wait until all pids are dead (or zombies); return those still alive."""
    deadline = time.monotonic() + timeout
    alive = [p for p in pids if pid_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if pid_alive(p)]
    return alive


def kill_processes(pids: list[int]) -> None:
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_dead(pids, 10)


def _is_under(path: str, root: Path) -> bool:
    r = str(root).rstrip("/")
    return path == r or path.startswith(r + "/")


def own_processes(state_dir: Path) -> list[int]:
    """Processes belonging to the dev cluster in state_dir.

    incusd daemons (and their helpers) whose INCUS_DIR lies under state_dir,
    LXC monitors of containers under state_dir, and all their descendants
    (the containers' processes).  Never the caller or its ancestors.
    """
    state_dir = state_dir.resolve()
    me = os.getpid()
    ancestors = {me}
    p = me
    while p and p > 1:
        p = _proc_ppid(p) or 0
        ancestors.add(p)
    roots: set[int] = set()
    children: dict[int, list[int]] = {}
    for pid in _all_pids():
        if pid in ancestors:
            continue
        st = proc_state(pid)
        if st is None or st in ("Z", "X"):
            continue
        ppid = _proc_ppid(pid)
        if ppid is not None:
            children.setdefault(ppid, []).append(pid)
        cmd = _proc_cmdline(pid)
        if cmd.startswith("[lxc monitor] "):
            parts = cmd.split(" ")
            if len(parts) >= 3 and _is_under(parts[2], state_dir):
                roots.add(pid)
                continue
        exe = _proc_exe(pid)
        if exe.startswith("/usr/libexec/incus/") or os.path.basename(exe.replace(" (deleted)", "")) in (
            "incusd",
            "incus",
        ):
            d = proc_environ(pid).get("INCUS_DIR", "")
            if d and _is_under(os.path.realpath(d), state_dir):
                roots.add(pid)
    result: list[int] = []
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        pid = stack.pop()
        if pid in seen or pid in ancestors:
            continue
        seen.add(pid)
        result.append(pid)
        stack.extend(children.get(pid, []))
    return result


def _mounts_under(root: Path) -> list[str]:
    root = root.resolve()
    res: list[str] = []
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return res
    for line in lines:
        parts = line.split()
        if len(parts) < 2:
            continue
        mp = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), parts[1])
        if _is_under(mp, root):
            res.append(mp)
    return res


def unmount_all(root: Path) -> None:
    for _ in range(5):
        mps = _mounts_under(root)
        if not mps:
            return
        for mp in sorted(set(mps), key=lambda m: (m.count("/"), len(m)), reverse=True):
            subprocess.run(["umount", "-l", mp], capture_output=True, check=False)
    left = _mounts_under(root)
    if left:
        raise DevClusterError(f"could not unmount: {left}")


def parallel(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """fn over items in threads: the slow steps (waiting for daemons, launching containers) at once."""
    items = list(items)
    if not items:
        return []
    if len(items) == 1:
        return [fn(items[0])]
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(items))) as ex:
        return list(ex.map(fn, items))
