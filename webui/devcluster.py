"""A real, local Incus cluster for development, demos and tests.

Several ``incusd`` daemons run on this one machine, each with its own
``INCUS_DIR`` under the state directory, and form a real cluster on loopback
addresses: ``memberN`` listens on ``127.0.0.N:8443``.

Usage::

    python -m webui.devcluster up [N] [--state-dir D]
    python -m webui.devcluster status [--state-dir D]
    python -m webui.devcluster down [--purge] [--state-dir D]

Files written into the state directory (default ``/var/tmp/incus-webui-dev``,
override with ``INCUS_WEBUI_DEV_DIR``)::

    cluster.json             member names and addresses (DevCluster.load)
    webui.toml               dashboard settings (addresses, client cert/key, server cert)
    cluster.crt              copy of the cluster certificate (shared by all members)
    incus-conf/              an INCUS_CONF directory for the ``incus`` CLI:
        config.yml           default-remote "dev" -> https://127.0.0.1:8443
        client.crt/.key      trusted client certificate (name "incus-webui")
        servercerts/dev.crt  the cluster certificate
    memberN/                 INCUS_DIR of memberN (unix.socket, database, ...)
        incusd.pid           pid of the daemon
        incusd.log           daemon stdout/stderr (warnings and errors)
    busybox.tar.gz           the tiny test image (alias "busybox")

Standard library only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import io
import json
import os
import re
import resource
import shutil
import signal
import ssl
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

DEFAULT_STATE_DIR = Path(os.environ.get("INCUS_WEBUI_DEV_DIR", "/var/tmp/incus-webui-dev"))
# memberN listens on SUBNET.N: two clusters (tests and a benchmark, say) can run at once
# on different loopback subnets, e.g. INCUS_WEBUI_DEV_SUBNET=127.0.1.
SUBNET = os.environ.get("INCUS_WEBUI_DEV_SUBNET", "127.0.0")
# Container names share the host's cgroup namespace across clusters: c1, c2… on the default
# subnet, s<third octet>c1… on another.
CONTAINER_PREFIX = "c" if SUBNET == "127.0.0" else f"s{SUBNET.split('.')[2]}c"

INCUSD = "/usr/libexec/incus/incusd"
INCUS = "/usr/bin/incus"
BUSYBOX = "/bin/busybox"
PORT = 8443
IMAGE_ALIAS = "busybox"
TRUST_NAME = "incus-webui"
REMOTE_NAME = "dev"
OFFLINE_THRESHOLD = 11  # seconds; Incus requires > 10
STOP_TIMEOUT = 5  # boot.host_shutdown_timeout in the default profile

BACKPORTS_SOURCE = Path("/etc/apt/sources.list.d/bookworm-backports.sources")
BACKPORTS_SOURCE_TEXT = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

T = TypeVar("T")
R = TypeVar("R")

# Keep references to the Popen objects of daemons we started, so that Python
# does not warn about them and so that we can reap them when they exit.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class DevClusterError(RuntimeError):
    pass


class IncusCommandError(subprocess.CalledProcessError):
    """A failed ``incus`` command; str() includes its stderr."""

    def __str__(self) -> str:  # pragma: no cover - trivial
        cmd = " ".join(str(c) for c in self.cmd) if isinstance(self.cmd, (list, tuple)) else self.cmd
        err = (self.stderr or "").strip() or (self.output or "").strip()
        return f"`{cmd}` failed with exit status {self.returncode}: {err}"


def _log(msg: str) -> None:
    if os.environ.get("INCUS_WEBUI_DEV_QUIET") != "1":
        print(f"[devcluster] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# installation
# --------------------------------------------------------------------------


def _dpkg_installed(pkg: str) -> bool:
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return False
    return r.returncode == 0 and r.stdout.strip().endswith("installed") and "not-installed" not in r.stdout


def _have_backports_source() -> bool:
    paths = [Path("/etc/apt/sources.list")] + sorted(Path("/etc/apt/sources.list.d").glob("*"))
    for p in paths:
        if not p.is_file() or not (p.name.endswith(".list") or p.name.endswith(".sources") or p.name == "sources.list"):
            continue
        try:
            text = p.read_text(errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("#"):
                continue
            if "bookworm-backports" in line and (line.startswith("deb ") or line.startswith("Suites:")):
                return True
    return False


def ensure_installed() -> None:
    """Install incus (daemon + client) and busybox-static from bookworm-backports if missing."""
    need = []
    if not os.path.exists(INCUSD):
        need.append("incus-base")
    if not shutil.which("incus"):
        need.append("incus-client")
    if not _dpkg_installed("busybox-static") or not os.path.exists(BUSYBOX):
        need.append("busybox-static")
    if not shutil.which("openssl"):
        need.append("openssl")
    if not need:
        return
    if os.geteuid() != 0:
        raise DevClusterError(f"missing packages {need}; run as root to install them")
    if any(p.startswith("incus") for p in need):
        need = sorted(set(need) | {"incus-base", "incus-client"})
    if not _have_backports_source():
        _log(f"adding apt source {BACKPORTS_SOURCE}")
        BACKPORTS_SOURCE.write_text(BACKPORTS_SOURCE_TEXT)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _log("apt-get update")
    subprocess.run(["apt-get", "update"], check=True, env=env)
    _log(f"apt-get install {' '.join(need)}")
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "-t", "bookworm-backports", *need],
        check=True,
        env=env,
    )


# --------------------------------------------------------------------------
# process helpers
# --------------------------------------------------------------------------


def _proc_state(pid: int) -> str | None:
    """Process state letter from /proc/PID/stat (R, S, T, Z, ...) or None."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    try:
        return data[data.rindex(")") + 2]
    except (ValueError, IndexError):
        return None


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


def _pid_alive(pid: int) -> bool:
    _reap(pid)
    st = _proc_state(pid)
    return st is not None and st not in ("Z", "X")


def _proc_environ(pid: int) -> dict[str, str]:
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


def _wait_dead(pids: list[int], timeout: float) -> list[int]:
    """Wait until all pids are dead (or zombies); return those still alive."""
    deadline = time.monotonic() + timeout
    alive = [p for p in pids if _pid_alive(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if _pid_alive(p)]
    return alive


def _is_under(path: str, root: Path) -> bool:
    r = str(root).rstrip("/")
    return path == r or path.startswith(r + "/")


def _own_processes(state_dir: Path) -> list[int]:
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
        st = _proc_state(pid)
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
            d = _proc_environ(pid).get("INCUS_DIR", "")
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


def _unmount_all(root: Path) -> None:
    for _ in range(5):
        mps = _mounts_under(root)
        if not mps:
            return
        for mp in sorted(set(mps), key=lambda m: (m.count("/"), len(m)), reverse=True):
            subprocess.run(["umount", "-l", mp], capture_output=True, check=False)
    left = _mounts_under(root)
    if left:
        raise DevClusterError(f"could not unmount: {left}")


def _listening(addr: str, port: int = PORT) -> bool:
    """Is something listening on addr:port (IPv4, from /proc/net/tcp)?"""
    want = "{}:{:04X}".format("".join(f"{int(b):02X}" for b in reversed(addr.split("."))), port)
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        f = line.split()
        if len(f) > 3 and f[3] == "0A" and f[1] in (want, f"00000000:{port:04X}"):
            return True
    return False


def _raise_nofile() -> None:
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > 1048576:
            hard = 1048576
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


def _parallel(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    items = list(items)
    if not items:
        return []
    if len(items) == 1:
        return [fn(items[0])]
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(items))) as ex:
        return list(ex.map(fn, items))


# --------------------------------------------------------------------------
# the test image
# --------------------------------------------------------------------------

_INITTAB = """\
# busybox init: keep the container running quietly
::sysinit:/bin/true
::respawn:/bin/sleep 86400
::shutdown:/bin/true
"""


def _arch() -> str:
    m = os.uname().machine
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(m, m)


def build_image(dest: Path) -> Path:
    """Build a unified Incus image tarball (metadata.yaml + rootfs/) from busybox-static."""
    applets = subprocess.run([BUSYBOX, "--list-full"], capture_output=True, text=True, check=True).stdout.split()
    now = int(time.time())
    buf = io.BytesIO()

    def add_dir(tf: tarfile.TarFile, name: str, mode: int = 0o755) -> None:
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.DIRTYPE
        ti.mode = mode
        ti.mtime = now
        tf.addfile(ti)

    def add_file(tf: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        ti.mode = mode
        ti.mtime = now
        tf.addfile(ti, io.BytesIO(data))

    def add_link(tf: tarfile.TarFile, name: str, target: str) -> None:
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.SYMTYPE
        ti.linkname = target
        ti.mode = 0o777
        ti.mtime = now
        tf.addfile(ti)

    metadata = (
        f"architecture: {_arch()}\n"
        f"creation_date: {now}\n"
        "properties:\n"
        "  description: BusyBox test image (incus-webui dev cluster)\n"
        "  os: busybox\n"
        '  release: "1"\n'
        "  variant: static\n"
        "templates: {}\n"
    )
    busybox = Path(BUSYBOX).read_bytes()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tf:
        add_file(tf, "metadata.yaml", metadata.encode())
        add_dir(tf, "rootfs")
        dirs = ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys", "run", "var", "var/log"]
        for d in dirs:
            add_dir(tf, f"rootfs/{d}")
        add_dir(tf, "rootfs/tmp", 0o1777)
        add_dir(tf, "rootfs/root", 0o700)
        add_file(tf, "rootfs/bin/busybox", busybox, 0o755)
        seen = {"bin/busybox"}
        for a in applets:
            a = a.lstrip("/")
            if a in seen or "/" not in a or a.split("/")[0] not in ("bin", "sbin", "usr"):
                continue
            seen.add(a)
            add_link(tf, f"rootfs/{a}", "/bin/busybox")
        if "sbin/init" not in seen:
            add_link(tf, "rootfs/sbin/init", "/bin/busybox")
        add_file(tf, "rootfs/etc/inittab", _INITTAB.encode())
        add_file(tf, "rootfs/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
        add_file(tf, "rootfs/etc/group", b"root:x:0:\n")
        add_file(tf, "rootfs/etc/hostname", b"busybox\n")
        add_file(
            tf,
            "rootfs/etc/os-release",
            b'NAME="BusyBox"\nID=busybox\nVERSION_ID="1"\nPRETTY_NAME="BusyBox (incus-webui dev image)"\n',
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(dest)
    return dest


# --------------------------------------------------------------------------
# certificates
# --------------------------------------------------------------------------


def _cert_fingerprint(pem_path: Path) -> str:
    der = ssl.PEM_cert_to_DER_cert(pem_path.read_text())
    return hashlib.sha256(der).hexdigest()


def _gen_client_cert(crt: Path, key: Path) -> None:
    crt.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:secp384r1",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/O=incus-webui/CN=incus-webui-dev",
            "-addext",
            "extendedKeyUsage=clientAuth",
            "-keyout",
            str(key),
            "-out",
            str(crt),
        ],
        check=True,
        capture_output=True,
    )
    os.chmod(key, 0o600)


# --------------------------------------------------------------------------
# the cluster
# --------------------------------------------------------------------------


def _member_index(name: str) -> int | None:
    m = re.fullmatch(r"member(\d+)", name)
    return int(m.group(1)) if m else None


@dataclass
class DevCluster:
    state_dir: Path
    members: list[str] = field(default_factory=list)
    addresses: dict[str, str] = field(default_factory=dict)
    settings_file: Path = field(init=False)
    incus_conf: Path = field(init=False)

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir).absolute()
        self.settings_file = self.state_dir / "webui.toml"
        self.incus_conf = self.state_dir / "incus-conf"

    # ---- persistence -------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.state_dir / "cluster.json"

    @property
    def cluster_cert(self) -> Path:
        """Copy of the cluster certificate (the TLS certificate every member serves)."""
        return self.state_dir / "cluster.crt"

    @property
    def client_cert(self) -> Path:
        return self.incus_conf / "client.crt"

    @property
    def client_key(self) -> Path:
        return self.incus_conf / "client.key"

    @property
    def image_file(self) -> Path:
        return self.state_dir / "busybox.tar.gz"

    @classmethod
    def load(cls, state_dir: Path = DEFAULT_STATE_DIR) -> DevCluster:
        state_dir = Path(state_dir).absolute()
        data = json.loads((state_dir / "cluster.json").read_text())
        return cls(state_dir=state_dir, members=list(data["members"]), addresses=dict(data.get("addresses", {})))

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "members": self.members,
            "addresses": {m: self.address(m) for m in self.members},
            "urls": {m: self.url(m) for m in self.members},
            "incus_dirs": {m: str(self.incus_dir(m)) for m in self.members},
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(self.state_file)

    # ---- naming ----------------------------------------------------------

    def address(self, name: str) -> str:
        if name in self.addresses:
            return self.addresses[name]
        idx = _member_index(name)
        if idx is None:
            raise KeyError(f"unknown member {name!r}")
        return f"{SUBNET}.{idx}"

    def url(self, name: str) -> str:
        return f"https://{self.address(name)}:{PORT}"

    def incus_dir(self, name: str) -> Path:
        return self.state_dir / name

    def pid_file(self, name: str) -> Path:
        return self.incus_dir(name) / "incusd.pid"

    def log_file(self, name: str) -> Path:
        return self.incus_dir(name) / "incusd.log"

    def pid(self, name: str) -> int:
        return int(self.pid_file(name).read_text().strip())

    # ---- process state -------------------------------------------------

    def _daemon_pid(self, name: str) -> int | None:
        """The pid of this member's incusd if it is alive (frozen counts as alive)."""
        try:
            pid = self.pid(name)
        except (OSError, ValueError):
            return None
        if not _pid_alive(pid):
            return None
        env = _proc_environ(pid)
        d = env.get("INCUS_DIR")
        if d is None or os.path.realpath(d) != os.path.realpath(self.incus_dir(name)):
            return None  # pid reused by something else
        return pid

    def is_running(self, name: str) -> bool:
        return self._daemon_pid(name) is not None

    def is_frozen(self, name: str) -> bool:
        pid = self._daemon_pid(name)
        return pid is not None and _proc_state(pid) in ("T", "t")

    # ---- running the CLI ---------------------------------------------

    def cli_env(self, name: str) -> dict[str, str]:
        """The environment for the `incus` CLI to talk to `name` over its unix socket."""
        env = dict(os.environ)
        env["INCUS_DIR"] = str(self.incus_dir(name))
        # Make sure the CLI talks to the unix socket of that member, whatever
        # the caller's own CLI configuration says.
        env["INCUS_CONF"] = str(self.state_dir / "cli-local")
        env.pop("INCUS_SOCKET", None)
        env.pop("INCUS_REMOTE", None)
        env.pop("INCUS_PROJECT", None)
        return env

    def incus(
        self,
        *args: str,
        member: str = "member1",
        check: bool = True,
        input: str | None = None,
        timeout: float | None = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``incus`` CLI against ``member``'s unix socket."""
        cmd = [INCUS, *[str(a) for a in args]]
        try:
            r = subprocess.run(
                cmd,
                env=self.cli_env(member),
                input=input,
                text=True,
                capture_output=True,
                timeout=timeout,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as e:
            raise IncusCommandError(-1, cmd, e.output, f"timed out after {timeout}s (member {member})") from None
        if check and r.returncode != 0:
            raise IncusCommandError(r.returncode, cmd, r.stdout, r.stderr)
        return r

    def incus_remote(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float | None = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the ``incus`` CLI over HTTPS with the dashboard's client certificate (INCUS_CONF=incus-conf)."""
        env = dict(os.environ)
        env.pop("INCUS_DIR", None)
        env["INCUS_CONF"] = str(self.incus_conf)
        cmd = [INCUS, *[str(a) for a in args]]
        r = subprocess.run(
            cmd,
            env=env,
            input=input,
            text=True,
            capture_output=True,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        if check and r.returncode != 0:
            raise IncusCommandError(r.returncode, cmd, r.stdout, r.stderr)
        return r

    def query(self, path: str, member: str = "member1", timeout: float | None = 60) -> Any:
        """``incus query`` (GET) returning parsed JSON."""
        r = self.incus("query", path, member=member, timeout=timeout)
        return json.loads(r.stdout) if r.stdout.strip() else None

    def _any_member(self, exclude: tuple[str, ...] = ()) -> str:
        for m in self.members:
            if m not in exclude and self.is_running(m) and not self.is_frozen(m):
                return m
        raise DevClusterError("no running member to talk to")

    def cluster_members(self, via: str | None = None, timeout: float = 30) -> list[dict[str, Any]]:
        """The cluster members as the API reports them (/1.0/cluster/members?recursion=1)."""
        via = via or self._any_member()
        return self.query("/1.0/cluster/members?recursion=1", member=via, timeout=timeout) or []

    def member_status(self, name: str, via: str | None = None) -> str | None:
        """'Online', 'Offline', 'Evacuated', ... or None if not a member."""
        via = via or self._any_member(exclude=(name,) if len(self.members) > 1 else ())
        for m in self.cluster_members(via=via):
            if m.get("server_name") == name:
                return m.get("status")
        return None

    def wait_status(self, name: str, status: str, timeout: float = 60, via: str | None = None) -> float:
        """Wait until the cluster shows ``name`` with ``status`` (case-insensitive); returns seconds waited."""
        t0 = time.monotonic()
        last = None
        while True:
            try:
                last = self.member_status(name, via=via)
            except (IncusCommandError, DevClusterError) as e:
                last = f"error: {e}"
            if last and last.lower() == status.lower():
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise DevClusterError(f"{name} did not become {status} within {timeout}s (last: {last})")
            time.sleep(0.5)

    def instances(self, member: str | None = None) -> list[dict[str, Any]]:
        member = member or self._any_member()
        return self.query("/1.0/instances?recursion=1", member=member) or []

    # ---- daemon control -------------------------------------------------

    def _spawn(self, name: str) -> int:
        d = self.incus_dir(name)
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o711)
        env = dict(os.environ)
        for k in ("INCUS_CONF", "INCUS_SOCKET", "INCUS_REMOTE", "INCUS_PROJECT"):
            env.pop(k, None)
        env["INCUS_DIR"] = str(d)
        env["PATH"] = "/usr/libexec/incus:/usr/sbin:/usr/bin:/sbin:/bin"
        with open(self.log_file(name), "ab") as log:
            p = subprocess.Popen(
                [INCUSD, "--group", "root", "--verbose"],
                env=env,
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                close_fds=True,
                preexec_fn=_raise_nofile,
            )
        _CHILDREN[p.pid] = p
        tmp = self.pid_file(name).with_suffix(".tmp")
        tmp.write_text(f"{p.pid}\n")
        tmp.replace(self.pid_file(name))
        return p.pid

    def _waitready(self, name: str, timeout: int = 30) -> None:
        pid = self._daemon_pid(name)
        try:
            self.incus("admin", "waitready", "--timeout", str(timeout), member=name, timeout=timeout + 10)
        except IncusCommandError as e:
            tail = ""
            try:
                tail = "\n".join(self.log_file(name).read_text(errors="replace").splitlines()[-15:])
            except OSError:
                pass
            alive = pid is not None and _pid_alive(pid)
            raise DevClusterError(f"{name} (pid {pid}, alive={alive}) not ready: {e}\n{tail}") from None

    def _ensure_daemons(self, names: list[str]) -> list[str]:
        """Start the daemons of ``names`` that are not running, then wait for all. Returns started names."""
        started = []
        for n in names:
            pid = self._daemon_pid(n)
            if pid is not None:
                if _proc_state(pid) in ("T", "t"):
                    os.kill(pid, signal.SIGCONT)
                continue
            # A daemon that was just killed may still hold its socket for a moment.
            deadline = time.monotonic() + 10
            while _listening(self.address(n)) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _listening(self.address(n)):
                raise DevClusterError(
                    f"{self.address(n)}:{PORT} is already in use by another process; cannot start {n}"
                )
            self._spawn(n)
            started.append(n)
        # All daemons must be launched before waiting: a clustered member only
        # becomes ready once the database has quorum.
        _parallel(lambda n: self._waitready(n, 60), names)
        return started

    def freeze(self, name: str) -> None:
        """SIGSTOP the member's incusd (it stops answering heartbeats; its containers keep running)."""
        pid = self._daemon_pid(name)
        if pid is None:
            raise DevClusterError(f"{name} is not running")
        os.kill(pid, signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        pid = self._daemon_pid(name)
        if pid is None:
            raise DevClusterError(f"{name} is not running")
        os.kill(pid, signal.SIGCONT)

    def stop_member(self, name: str, graceful: bool = False, timeout: float = 60) -> None:
        """Stop the member's incusd.

        Default: SIGKILL (like a crash; its containers keep running and are
        picked up again by start_member).  graceful=True: ``incus admin
        shutdown`` (stops its containers first; they restart on start_member).
        """
        pid = self._daemon_pid(name)
        if pid is None:
            return
        if _proc_state(pid) in ("T", "t"):
            os.kill(pid, signal.SIGCONT)
        if graceful:
            self.incus(
                "admin", "shutdown", "--timeout", str(int(timeout)), member=name, check=False, timeout=timeout + 10
            )
            if _wait_dead([pid], timeout):
                os.kill(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
        if _wait_dead([pid], 15):
            raise DevClusterError(f"{name} (pid {pid}) did not exit")
        deadline = time.monotonic() + 10
        while _listening(self.address(name)) and time.monotonic() < deadline:
            time.sleep(0.05)

    def start_member(self, name: str, timeout: float = 90) -> None:
        """Start the member's incusd again; wait until it is ready and Online in the cluster."""
        if name not in self.members:
            raise KeyError(f"unknown member {name!r}")
        self._ensure_daemons([name])
        self.wait_status(name, "Online", timeout=timeout, via=name)

    # ---- cluster formation ---------------------------------------------

    def _server_info(self, name: str) -> dict[str, Any]:
        info: dict[str, Any] = self.query("/1.0", member=name)
        return info

    def _bootstrap(self) -> None:
        name = self.members[0]
        env = self._server_info(name).get("environment", {})
        if env.get("server_clustered"):
            return
        _log(f"bootstrapping cluster on {name} ({self.address(name)})")
        preseed = {
            "config": {
                "core.https_address": f"{self.address(name)}:{PORT}",
                "images.auto_update_interval": "0",
                # NB: cluster.offline_threshold must not be set before the
                # server is clustered: on 6.0.4 that breaks PUT /1.0.
            },
            "storage_pools": [{"name": "local", "driver": "dir", "config": {}}],
            "profiles": [
                {
                    "name": "default",
                    "config": {"boot.host_shutdown_timeout": str(STOP_TIMEOUT)},
                    "devices": {"root": {"path": "/", "pool": "local", "type": "disk"}},
                }
            ],
            "cluster": {"server_name": name, "enabled": True},
        }
        # YAML is a superset of JSON: feed the preseed as JSON.
        self.incus("admin", "init", "--preseed", member=name, input=json.dumps(preseed))

    def _cluster_names(self) -> set[str]:
        return {m["server_name"] for m in self.cluster_members(via=self.members[0])}

    def _join(self, name: str) -> None:
        leader = self.members[0]
        _log(f"joining {name} ({self.address(name)})")
        r = self.incus("cluster", "add", name, "--quiet", member=leader, check=False)
        if r.returncode != 0 and "already" in (r.stderr or "").lower():
            self.incus("cluster", "revoke-token", name, member=leader, check=False)
            r = self.incus("cluster", "add", name, "--quiet", member=leader, check=False)
        if r.returncode != 0:
            raise IncusCommandError(r.returncode, r.args, r.stdout, r.stderr)
        token = r.stdout.strip().splitlines()[-1].strip()
        preseed = {
            "cluster": {
                "enabled": True,
                "server_name": name,
                "server_address": f"{self.address(name)}:{PORT}",
                "cluster_token": token,
                "member_config": [{"entity": "storage-pool", "name": "local", "key": "source", "value": ""}],
            }
        }
        self.incus("admin", "init", "--preseed", member=name, input=json.dumps(preseed))

    def _ensure_joined(self, names: list[str]) -> None:
        in_cluster = self._cluster_names()
        for n in names:
            if n in in_cluster:
                continue
            if self._server_info(n).get("environment", {}).get("server_clustered"):
                # Clustered, but not (any more) in this cluster: start afresh.
                self._reset_member_dir(n)
                self._ensure_daemons([n])
            self._join(n)

    def _reset_member_dir(self, name: str) -> None:
        pid = self._daemon_pid(name)
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            _wait_dead([pid], 15)
        _kill_processes(_own_processes(self.incus_dir(name)))
        _unmount_all(self.incus_dir(name))
        shutil.rmtree(self.incus_dir(name), ignore_errors=True)

    def _ensure_config(self) -> None:
        leader = self.members[0]
        cfg = self.query("/1.0", member=leader).get("config", {})
        if cfg.get("cluster.offline_threshold") != str(OFFLINE_THRESHOLD):
            self.incus("config", "set", "cluster.offline_threshold", str(OFFLINE_THRESHOLD), member=leader)

    def _ensure_image(self) -> None:
        leader = self.members[0]
        aliases = self.query("/1.0/images/aliases?recursion=1", member=leader) or []
        if any(a.get("name") == IMAGE_ALIAS for a in aliases):
            return
        if not self.image_file.exists():
            build_image(self.image_file)
        _log(f"importing image {self.image_file.name} as {IMAGE_ALIAS!r}")
        self.incus("image", "import", str(self.image_file), "--alias", IMAGE_ALIAS, member=leader)

    def _ensure_containers(self, wanted: dict[str, str]) -> None:
        """wanted: container name -> target member. Create missing ones (running)."""
        existing = {i["name"] for i in self.instances(member=self.members[0])}
        todo = [(c, m) for c, m in wanted.items() if c not in existing]
        if todo:
            _log("launching " + ", ".join(f"{c} on {m}" for c, m in todo))

        def launch(item: tuple[str, str]) -> None:
            c, m = item
            self.incus("launch", IMAGE_ALIAS, c, "--target", m, "--quiet", member=self.members[0])

        _parallel(launch, todo)

    def _resume_instances(self) -> None:
        """Start the instances that down() stopped."""
        f = self.state_dir / "resume.json"
        try:
            names = json.loads(f.read_text()).get("running", [])
        except (OSError, ValueError):
            return
        status = {i["name"]: i.get("status") for i in self.instances(member=self.members[0])}
        todo = [n for n in names if status.get(n) == "Stopped"]
        if todo:
            _log("starting instances " + ", ".join(todo))

        def start(name: str) -> None:
            # Right after a restart a member may still answer "Server isn't
            # ready yet" for instance operations for a moment.
            deadline = time.monotonic() + 60
            while True:
                r = self.incus("start", name, member=self.members[0], check=False)
                if r.returncode == 0 or "already running" in r.stderr:
                    return
                if time.monotonic() > deadline or "ready" not in r.stderr:
                    raise IncusCommandError(r.returncode, r.args, r.stdout, r.stderr)
                time.sleep(0.5)

        _parallel(start, todo)
        f.unlink()

    def _wait_all_online(self, timeout: float = 90, known_only: bool = False) -> None:
        """Wait until every member is Online (or Evacuated) in the cluster list.

        known_only: ignore members the cluster does not know (yet).
        After a restart of the daemons the database needs a few seconds
        (leader election, first heartbeat round); errors are retried.
        """
        deadline = time.monotonic() + timeout
        last: object = None
        while True:
            try:
                st = {m["server_name"]: m.get("status") for m in self.cluster_members(via=self.members[0], timeout=15)}
                wanted = [m for m in self.members if m in st] if known_only else self.members
                bad = {m: st.get(m) for m in wanted if st.get(m) not in ("Online", "Evacuated")}
                if not bad:
                    return
                last = bad
            except (IncusCommandError, DevClusterError, ValueError) as e:
                last = str(e)
            if time.monotonic() > deadline:
                raise DevClusterError(f"members not online after {timeout}s: {last}")
            time.sleep(0.5)

    def _ensure_trust(self) -> None:
        leader = self.members[0]
        if not (self.client_cert.exists() and self.client_key.exists()):
            _gen_client_cert(self.client_cert, self.client_key)
        fp = _cert_fingerprint(self.client_cert)
        certs = self.query("/1.0/certificates?recursion=1", member=leader) or []
        if any(c.get("fingerprint") == fp for c in certs):
            return
        _log("trusting client certificate " + fp[:12])
        self.incus(
            "config",
            "trust",
            "add-certificate",
            str(self.client_cert),
            "--name",
            TRUST_NAME,
            "--description",
            "incus-webui dev cluster client",
            member=leader,
        )

    def _write_client_files(self) -> None:
        leader = self.members[0]
        src = self.incus_dir(leader) / "cluster.crt"
        if not src.exists():
            raise DevClusterError(f"{src} missing: is {leader} clustered?")
        cert = src.read_text()
        _write_if_changed(self.cluster_cert, cert)
        (self.incus_conf / "servercerts").mkdir(parents=True, exist_ok=True)
        _write_if_changed(self.incus_conf / "servercerts" / f"{REMOTE_NAME}.crt", cert)
        config_yml = (
            f"default-remote: {REMOTE_NAME}\n"
            "remotes:\n"
            f"  {REMOTE_NAME}:\n"
            f"    addr: {self.url(leader)}\n"
            "    auth_type: tls\n"
            "    project: default\n"
            "    protocol: incus\n"
            "    public: false\n"
            "aliases: {}\n"
        )
        _write_if_changed(self.incus_conf / "config.yml", config_yml)
        toml = (
            "# Written by webui.devcluster - local development Incus cluster.\n"
            f"# Members: {', '.join(f'{m}={self.url(m)}' for m in self.members)}\n"
            f"addresses = [{_toml_str(self.url(leader))}]\n"
            f"client_cert = {_toml_str(str(self.client_cert))}\n"
            f"client_key = {_toml_str(str(self.client_key))}\n"
            f"server_cert = {_toml_str(str(self.cluster_cert))}\n"
        )
        _write_if_changed(self.settings_file, toml)

    def _verify_https(self) -> None:
        r = self.incus_remote("cluster", "list", f"{REMOTE_NAME}:", "--format", "csv", check=False, timeout=30)
        if r.returncode != 0:
            raise DevClusterError(f"HTTPS access with {self.incus_conf} failed: {r.stderr.strip()}")

    def _next_index(self) -> int:
        used = set()
        for m in self.members:
            used.add(int(self.address(m).rsplit(".", 1)[1]))
        for d in self.state_dir.glob("member*"):
            i = _member_index(d.name)
            if i is not None and d.name not in self.members:
                used.add(i)  # leftover directory: do not reuse blindly
        i = 1
        while i in used or _listening(f"{SUBNET}.{i}"):
            i += 1
        if i > 254:
            raise DevClusterError(f"no free {SUBNET}.N address left")
        return i

    def add_member(self, name: str | None = None) -> str:
        """Start and join one more member (next free 127.0.0.N); returns its name."""
        if name is None:
            idx = self._next_index()
            name = f"member{idx}"
        else:
            if name in self.members:
                raise DevClusterError(f"{name} already exists")
            idx = _member_index(name) or self._next_index()
        if self.incus_dir(name).exists():
            self._reset_member_dir(name)
        self.addresses[name] = f"{SUBNET}.{idx}"
        self.members.append(name)
        self.save()
        self._ensure_daemons([name])
        self._join(name)
        self._write_client_files()  # refresh the member list comment
        self.wait_status(name, "Online", timeout=60)
        return name

    def forget_member(self, name: str) -> None:
        """Get rid of a member for good: the cleanup after a remove test.

        Kills the member's daemon and its containers, force-removes it from the
        cluster if the cluster still lists it (e.g. the test failed before the
        removal), wipes its directory and drops it from cluster.json.  Safe to
        call whatever state the member is in, also for an unknown name.
        """
        if self.members and name == self.members[0]:
            raise DevClusterError(f"refusing to forget the bootstrap member {name}")
        self._reset_member_dir(name)
        try:
            via = self._any_member(exclude=(name,))
            if any(m.get("server_name") == name for m in self.cluster_members(via=via)):
                _log(f"force-removing {name} from the cluster")
                self.incus("cluster", "remove", name, "--force", "--yes", member=via)
        except DevClusterError:
            pass  # no member left to ask
        if name in self.members:
            self.members.remove(name)
        self.addresses.pop(name, None)
        self.save()
        if self.members:
            self._write_client_files()

    # ---- summary ---------------------------------------------------------

    def summary(self) -> str:
        lines = [f"state dir: {self.state_dir}"]
        status = {}
        insts: dict[str, list[str]] = {}
        try:
            via = self._any_member()
            status = {m["server_name"]: m.get("status", "?") for m in self.cluster_members(via=via, timeout=15)}
            for i in self.instances(member=via):
                insts.setdefault(i.get("location", "?"), []).append(f"{i['name']}({i.get('status', '?')})")
        except (DevClusterError, IncusCommandError, subprocess.TimeoutExpired, ValueError) as e:
            lines.append(f"  (cluster not reachable: {str(e).splitlines()[0] if str(e) else e})")
        for m in self.members:
            pid = self._daemon_pid(m)
            proc = "down" if pid is None else ("FROZEN" if _proc_state(pid) in ("T", "t") else "running")
            lines.append(
                f"  {m:<9} {self.url(m):<24} pid {pid or '-':<7} daemon {proc:<7} "
                f"cluster {status.get(m, '?'):<9} {' '.join(sorted(insts.get(m, [])))}"
            )
        lines.append(f"settings:  {self.settings_file}")
        lines.append(
            f"CLI:       INCUS_CONF={self.incus_conf} incus list"
            f"   (remote '{REMOTE_NAME}' = {self.url(self.members[0])})"
        )
        lines.append(f"local CLI: INCUS_DIR={self.incus_dir(self.members[0])} incus cluster list")
        return "\n".join(lines)


def _toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string for these values


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _kill_processes(pids: list[int]) -> None:
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _wait_dead(pids, 10)


# --------------------------------------------------------------------------
# up / down
# --------------------------------------------------------------------------


def up(n: int = 3, state_dir: Path = DEFAULT_STATE_DIR) -> DevCluster:
    """Create (or restart, or just check) an n-member dev cluster in state_dir."""
    if not 1 <= n <= 254:
        raise ValueError("n must be between 1 and 254")
    state_dir = Path(state_dir).absolute()
    if len(str(state_dir / "member254" / "guestapi" / "sock")) > 100:
        raise DevClusterError(f"state dir path too long for unix sockets: {state_dir}")
    if os.geteuid() != 0:
        raise DevClusterError("the dev cluster needs root")
    t0 = time.monotonic()
    ensure_installed()
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o711)
    try:
        cl = DevCluster.load(state_dir)
    except (OSError, ValueError, KeyError):
        cl = DevCluster(state_dir=state_dir)
    for i in range(1, n + 1):
        name = f"member{i}"
        if name not in cl.members and len(cl.members) < n:
            cl.members.append(name)
            cl.addresses[name] = f"{SUBNET}.{i}"
    if len(cl.members) > n:
        _log(f"cluster already has {len(cl.members)} members; keeping them")
    cl.save()

    started = cl._ensure_daemons(cl.members)
    if started:
        _log(f"started {', '.join(started)} ({time.monotonic() - t0:.1f}s)")
    steps = [
        ("bootstrap", cl._bootstrap),
        ("ready", lambda: cl._wait_all_online(timeout=120, known_only=True) if started else None),
        ("join", lambda: cl._ensure_joined(cl.members[1:])),
        ("online", lambda: cl._wait_all_online(timeout=90)),
        ("config", cl._ensure_config),
        ("image", cl._ensure_image),
        ("containers", lambda: cl._ensure_containers(
            {f"{CONTAINER_PREFIX}{i + 1}": m for i, m in enumerate(cl.members[:n])}
        )),
        ("resume", cl._resume_instances),
        ("trust", cl._ensure_trust),
        ("files", cl._write_client_files),
        ("https", cl._verify_https),
    ]
    timings = []
    for label, fn in steps:
        t1 = time.monotonic()
        fn()
        timings.append(f"{label} {time.monotonic() - t1:.1f}")
    if os.environ.get("INCUS_WEBUI_DEV_TIMINGS") == "1":
        _log("step timings (s): " + ", ".join(timings))
    cl.save()
    _log(f"up: {len(cl.members)} members ready in {time.monotonic() - t0:.1f}s")
    return cl


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
        pid = cl._daemon_pid(n)
        if pid is not None:
            if _proc_state(pid) in ("T", "t"):
                os.kill(pid, signal.SIGCONT)
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
            _write_if_changed(state_dir / "resume.json", json.dumps({"running": running}) + "\n")
            _log("stopping instances " + ", ".join(running))
            r = cl.incus(
                "stop", "--all", "--timeout", str(STOP_TIMEOUT), member=via, check=False, timeout=STOP_TIMEOUT + 30
            )
            if r.returncode != 0:
                cl.incus("stop", "--all", "--force", member=via, check=False, timeout=30)
        # 2. Stop the daemons (SIGTERM: leave the cluster database cleanly, exit).
        _log(f"stopping daemons {', '.join(pids)} ({time.monotonic() - t0:.1f}s)")
        for pid in pids.values():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        left = _wait_dead(list(pids.values()), term_grace)
        if left:
            _log(f"SIGKILL for daemons still shutting down after {term_grace}s: {left}")
            _kill_processes(left)
        _log(f"daemons stopped ({time.monotonic() - t0:.1f}s)")
    leftovers = _own_processes(state_dir)
    if leftovers:
        _log(f"killing leftover processes: {leftovers}")
        _kill_processes(leftovers)
    _unmount_all(state_dir)
    if purge:
        _log(f"removing {state_dir}")
        shutil.rmtree(state_dir)


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------


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
    p_up.add_argument("--state-dir", type=Path, dest="state_dir_sub", default=None)
    p_down = sub.add_parser("down", help="stop everything (keeps state unless --purge)")
    p_down.add_argument("--purge", action="store_true", help="also delete the state directory")
    p_down.add_argument("--state-dir", type=Path, dest="state_dir_sub", default=None)
    p_st = sub.add_parser("status", help="show members, daemons and containers")
    p_st.add_argument("--state-dir", type=Path, dest="state_dir_sub", default=None)
    p_add = sub.add_parser("add-member", help="start and join one more member")
    p_add.add_argument("name", nargs="?", default=None)
    p_add.add_argument("--state-dir", type=Path, dest="state_dir_sub", default=None)
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
            cl = up(n, state_dir)
            print(cl.summary())
            print(f"up took {time.monotonic() - t0:.1f}s")
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
            print(cl.summary())
        elif args.cmd == "add-member":
            cl = DevCluster.load(state_dir)
            name = cl.add_member(args.name)
            print(f"added {name} at {cl.url(name)}")
    except (DevClusterError, subprocess.CalledProcessError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
