"""A real nginx (Debian's package) in front of a dashboard, serving contrib/nginx/incus-webui.conf
as its site, from its own prefix folder on a free loopback port: never the system's service."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / "contrib" / "nginx" / "incus-webui.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Nginx:
    def __init__(self, folder: Path, upstream_port: int) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        site = SITE.read_text()
        assert "listen 80;" in site and "server 127.0.0.1:8000;" in site, "contrib's nginx site changed shape"
        site = site.replace("listen 80;", f"listen 127.0.0.1:{self.port};")
        site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "site.conf").write_text(site)
        kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        temp = "".join(f"    {kind}_temp_path {folder / kind};\n" for kind in kinds)
        # The workers run as the user who starts the test (as root: root, not nobody, who
        # could not enter pytest's private temporary folders).
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'} info;\nevents {{ worker_connections 4096; }}\n"
            f"http {{\n    access_log {folder / 'access.log'};\n{temp}    include {folder / 'site.conf'};\n}}\n"
        )
        self.error_log = folder / "error.log"
        self.process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(self.error_log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            assert self.process.poll() is None, f"nginx exited: {self.error_log.read_text()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

