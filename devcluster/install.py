"""The Debian packages a dev cluster needs (Incus from bookworm-backports, busybox-static for
its image, openssl for its client certificate), installed when missing."""

import os
import shutil
import subprocess
from pathlib import Path

from devcluster.daemons import INCUSD
from devcluster.image import BUSYBOX
from devcluster.messages import DevClusterError, log

BACKPORTS_SOURCE = Path("/etc/apt/sources.list.d/bookworm-backports.sources")
BACKPORTS_SOURCE_TEXT = """\
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


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
        log(f"adding apt source {BACKPORTS_SOURCE}")
        BACKPORTS_SOURCE.write_text(BACKPORTS_SOURCE_TEXT)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log("apt-get update")
    subprocess.run(["apt-get", "update"], check=True, env=env)
    log(f"apt-get install {' '.join(need)}")
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "-t", "bookworm-backports", *need],
        check=True,
        env=env,
    )
