"""The two Incus LTS lines a member can run: 6.0 from the host's Debian packages (bookworm-backports),
7.0 from a Debian sid root made with debootstrap, run with `chroot` on the host's own network.

The sid root is built once into a cache shared by every state folder on the machine (beside them:
``<state folder's parent>/incus-webui-incus-7.0``, or ``INCUS_WEBUI_INCUS7_CACHE``), and never
touches the host's packages. Each cluster runs its 7.0 members in an overlay of that cache under its
own state folder (``incus-7.0/root``), with ``/proc``, ``/sys``, ``/dev`` and each member's
``INCUS_DIR`` bind-mounted at the same paths inside: the daemon sees its files where the host's
``incus`` CLI and `down` look for them, and `down` unmounts it all with the rest of the state folder.
"""

import fcntl
import os
import shutil
import subprocess
import time
from pathlib import Path

from devcluster.messages import DevClusterError, log
from devcluster.processes import unmount_all

LINES = ("6.0", "7.0")
DEFAULT_LINE = "6.0"
CHROOT_LINE = "7.0"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("incus-base", "incus-client")
# sid's Release file is often past its Valid-Until on a registry mirror that is not refreshed.
APT_OPTIONS = ("-o", "Acquire::Check-Valid-Until=false", "-o", "APT::Install-Recommends=false")
_COMPLETE = ".incus-webui-complete"  # written last: a half-built cache is rebuilt, never used


def check_line(line: str) -> str:
    if line not in LINES:
        raise DevClusterError(f"unknown Incus line {line!r}; choose one of {', '.join(LINES)}")
    return line


def cache_dir(state_dir: Path) -> Path:
    """Where the pristine sid root with Incus 7.0 lives, shared by the state folders beside state_dir."""
    override = os.environ.get("INCUS_WEBUI_INCUS7_CACHE")
    return Path(override) if override else Path(state_dir).absolute().parent / "incus-webui-incus-7.0"


def _run(args: list[str], what: str) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(args, capture_output=True, text=True, check=False, env=env)
    if r.returncode != 0:
        tail = "\n".join((r.stdout + r.stderr).strip().splitlines()[-15:])
        raise DevClusterError(f"{what} failed ({r.returncode}):\n{tail}")


def ensure_cache(cache: Path) -> Path:
    """Build the sid root with incus-base and incus-client once (about a minute and 300 MB); later
    calls, from any state folder, find it. A lock file keeps two clusters from building it at once."""
    if (cache / _COMPLETE).exists():
        return cache
    if shutil.which("debootstrap") is None:
        raise DevClusterError("debootstrap is missing: run scripts/install (or apt-get install debootstrap)")
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache.with_name(cache.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (cache / _COMPLETE).exists():
            return cache
        t0 = time.monotonic()
        work = cache.with_name(cache.name + ".building")
        _unmount_under(work)
        shutil.rmtree(work, ignore_errors=True)
        log(f"building the Incus {CHROOT_LINE} root (Debian sid) in {cache}; once, about a minute")
        _run(["debootstrap", "--variant=minbase", "sid", str(work), MIRROR], "debootstrap sid")
        # No service may start inside the root while packages are installed.
        (work / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
        (work / "usr/sbin/policy-rc.d").chmod(0o755)
        _mount(["--bind", "/proc"], work / "proc")
        try:
            _run(["chroot", str(work), "apt-get", *APT_OPTIONS, "update"], "apt-get update in the sid root")
            _run(
                ["chroot", str(work), "apt-get", *APT_OPTIONS, "install", "-y", "-q", *PACKAGES],
                "apt-get install incus in the sid root",
            )
            _run(["chroot", str(work), "apt-get", "clean"], "apt-get clean in the sid root")
            version = daemon_version(work)  # incusd needs /proc even for --version
        finally:
            _unmount_under(work)
        if not version.startswith(CHROOT_LINE + "."):
            raise DevClusterError(f"the sid root's incusd is {version!r}, not {CHROOT_LINE}.x")
        (work / _COMPLETE).write_text(version + "\n")
        shutil.rmtree(cache, ignore_errors=True)
        work.rename(cache)
        log(f"Incus {version} root ready in {time.monotonic() - t0:.0f}s")
    return cache


def daemon_version(root: Path) -> str:
    r = subprocess.run(
        ["chroot", str(root), "/usr/libexec/incus/incusd", "--version"], capture_output=True, text=True, check=False
    )
    return r.stdout.strip()


def _mount(args: list[str], target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    _run(["mount", *args, str(target)], f"mount {' '.join(args)} {target}")


def _mounted(path: Path) -> bool:
    return os.path.ismount(path)


def _unmount_under(root: Path) -> None:
    if root.exists():
        unmount_all(root)


def chroot_root(state_dir: Path) -> Path:
    """This cluster's writable overlay of the cache: where its 7.0 daemons run."""
    return Path(state_dir).absolute() / "incus-7.0" / "root"


def ensure_root(state_dir: Path) -> Path:
    """Mount this cluster's overlay of the cached sid root, with /proc, /sys and /dev, if not yet."""
    root = chroot_root(state_dir)
    if _mounted(root / "dev"):
        return root
    cache = ensure_cache(cache_dir(state_dir))
    base = root.parent
    for d in ("upper", "work", "root"):
        (base / d).mkdir(parents=True, exist_ok=True)
    if not _mounted(root):
        options = f"lowerdir={cache},upperdir={base / 'upper'},workdir={base / 'work'}"
        _mount(["-t", "overlay", "overlay", "-o", options], root)
    # rslave: an unmount inside the root never travels back to the host's own /sys or /dev.
    for host in ("/proc", "/sys", "/dev"):
        _mount(["--rbind", host], root / host.lstrip("/"))
        _run(["mount", "--make-rslave", str(root / host.lstrip("/"))], f"mount --make-rslave {host}")
    return root


def bind_member(root: Path, incus_dir: Path) -> None:
    """Show the member's INCUS_DIR at the same path inside the root (once)."""
    inside = root / str(incus_dir.absolute()).lstrip("/")
    if not _mounted(inside):
        _mount(["--bind", str(incus_dir)], inside)
        _run(["mount", "--make-private", str(inside)], f"mount --make-private {inside}")


def unbind_member(state_dir: Path, incus_dir: Path) -> None:
    inside = chroot_root(state_dir) / str(incus_dir.absolute()).lstrip("/")
    _unmount_under(inside)
