"""The dev cluster's container image, built from the host's busybox-static (about 1 MB): forming
a cluster downloads no image, and its containers start in a moment and cost almost nothing."""

import io
import os
import subprocess
import tarfile
import time
from pathlib import Path

BUSYBOX = "/bin/busybox"
IMAGE_ALIAS = "busybox"

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
