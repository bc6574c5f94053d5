"""One member's incusd, as a process: how it is launched, found again from its pid file and
waited for, and whether its address is taken.

How a daemon is launched (which binary, with which environment and limits) is decided here and
nowhere else, so that a member of another Incus version can be launched beside the others.
"""

import os
import resource
import subprocess
import time
from pathlib import Path

from devcluster.incus_cli import IncusCommandError, run_incus
from devcluster.messages import DevClusterError
from devcluster.processes import pid_alive, proc_environ, remember_child

INCUSD = "/usr/libexec/incus/incusd"
PORT = 8443
# In the member's INCUS_DIR, beside Incus's own files.
PID_FILE = "incusd.pid"
LOG_FILE = "incusd.log"  # the daemon's stdout and stderr (warnings and errors)
# What a member upgraded before the others logs, then serves no API until they are upgraded too.
UPGRADE_WAIT = "Wait for other cluster nodes to upgrade their versions"


def _raise_nofile() -> None:
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > 1048576:
            hard = 1048576
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


def launch(incus_dir: Path, root: Path | None = None) -> int:
    """Start the incusd of incus_dir in a session of its own; record and return its pid.

    root: run the incusd of that root (`chroot`; Incus 7.0 from the sid root, see lines.py),
    which must show incus_dir at the same path. Its PATH is then the root's own."""
    incus_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(incus_dir, 0o711)
    env = dict(os.environ)
    for k in ("INCUS_CONF", "INCUS_SOCKET", "INCUS_REMOTE", "INCUS_PROJECT"):
        env.pop(k, None)
    env["INCUS_DIR"] = str(incus_dir)
    env["PATH"] = "/usr/libexec/incus:/usr/sbin:/usr/bin:/sbin:/bin"
    with open(incus_dir / LOG_FILE, "ab") as log:
        p = subprocess.Popen(
            [*(["chroot", str(root)] if root else []), INCUSD, "--group", "root", "--verbose"],
            env=env,
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_raise_nofile,
        )
    remember_child(p)
    tmp = (incus_dir / PID_FILE).with_suffix(".tmp")
    tmp.write_text(f"{p.pid}\n")
    tmp.replace(incus_dir / PID_FILE)
    return p.pid


def recorded_pid(incus_dir: Path) -> int:
    """The pid written by the last launch, whether or not that daemon still runs."""
    return int((incus_dir / PID_FILE).read_text().strip())


def running_pid(incus_dir: Path) -> int | None:
    """The pid of incus_dir's incusd if it is alive (frozen counts as alive)."""
    try:
        pid = recorded_pid(incus_dir)
    except (OSError, ValueError):
        return None
    if not pid_alive(pid):
        return None
    d = proc_environ(pid).get("INCUS_DIR")
    if d is None or os.path.realpath(d) != os.path.realpath(incus_dir):
        return None  # pid reused by something else
    return pid


def log_tail(incus_dir: Path, lines: int = 15) -> str:
    try:
        return "\n".join((incus_dir / LOG_FILE).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def log_size(incus_dir: Path) -> int:
    try:
        return (incus_dir / LOG_FILE).stat().st_size
    except OSError:
        return 0


def log_since(incus_dir: Path, offset: int) -> str:
    try:
        with open(incus_dir / LOG_FILE, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def wait_ready(name: str, incus_dir: Path, cli_env: dict[str, str], timeout: int) -> None:
    """Wait until the daemon answers (``incus admin waitready``); if it does not, say whether it
    still runs and show the end of its log."""
    pid = running_pid(incus_dir)
    try:
        args = ["admin", "waitready", "--timeout", str(timeout)]
        run_incus(args, cli_env, f"member {name}", check=True, input=None, timeout=timeout + 10)
    except IncusCommandError as e:
        alive = pid is not None and pid_alive(pid)
        raise DevClusterError(f"{name} (pid {pid}, alive={alive}) not ready: {e}\n{log_tail(incus_dir)}") from None


def is_ready(name: str, cli_env: dict[str, str], timeout: int = 2) -> bool:
    args = ["admin", "waitready", "--timeout", str(timeout)]
    return run_incus(args, cli_env, f"member {name}", check=False, input=None, timeout=timeout + 10).returncode == 0


def listening(address: str) -> bool:
    """Is something listening on address:PORT (IPv4, from /proc/net/tcp)?"""
    want = "{}:{:04X}".format("".join(f"{int(b):02X}" for b in reversed(address.split("."))), PORT)
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        f = line.split()
        if len(f) > 3 and f[3] == "0A" and f[1] in (want, f"00000000:{PORT:04X}"):
            return True
    return False


def port_closed(address: str, timeout: float = 10) -> bool:
    """Wait for address:PORT to close (a daemon just killed may hold it for a moment); did it?"""
    deadline = time.monotonic() + timeout
    while listening(address) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not listening(address)
