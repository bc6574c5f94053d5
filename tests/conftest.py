"""Fixtures: the real local Incus cluster, and a real dashboard process serving it.

The cluster comes up once per session (`webui.devcluster`) and goes down at the end, unless
INCUS_WEBUI_KEEP_CLUSTER=1 keeps it for the next run. Tests that change the cluster put it back.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from webui import db, devcluster

STATE_DIR = Path(os.environ.get("INCUS_WEBUI_TEST_DIR", "/var/tmp/incus-webui-test"))
MEMBERS = 3


@pytest.fixture(scope="session")
def cluster() -> Iterator[devcluster.DevCluster]:
    dev = devcluster.up(MEMBERS, STATE_DIR)
    yield dev
    if os.environ.get("INCUS_WEBUI_KEEP_CLUSTER") != "1":
        devcluster.down(STATE_DIR)


def wait_until(check, timeout: float = 60, interval: float = 0.5):
    """The first truthy result of check(), polled until timeout (then TimeoutError)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(interval)
    raise TimeoutError("condition not met in time")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Dashboard:
    """`incus-webui serve` in its own process, as an admin would run it."""

    def __init__(self, settings_file: Path, database: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{database}"
        db.upgrade(self.database_url)
        environment = {
            **os.environ,
            "INCUS_WEBUI_DATABASE_URL": self.database_url,
            "INCUS_WEBUI_POLL_INTERVAL": "1",
            "INCUS_WEBUI_STATE_INTERVAL": "2",
            "INCUS_WEBUI_HEARTBEAT": "1",
            **env,
        }
        self.log = database.with_suffix(".log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webui.cli", "serve", "--config", str(settings_file), "--port", str(self.port)],
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the dashboard exited; see its log"
            try:
                reply = httpx.get(self.url + "/healthz", timeout=2)
                if reply.status_code == 200:
                    return reply.json()
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError("the dashboard did not become healthy")

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10, **kwargs)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="session")
def dashboard(cluster: devcluster.DevCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    server = Dashboard(cluster.settings_file, tmp_path_factory.mktemp("dashboard") / "webui.db")
    yield server
    server.stop()


def incus_member(cluster: devcluster.DevCluster, name: str, via: str = "member1") -> dict:
    return yaml.safe_load(cluster.incus("cluster", "show", name, member=via).stdout)


def edit_member(cluster: devcluster.DevCluster, name: str, via: str = "member1", **changes: object) -> None:
    """Change a member the way an admin does with `incus cluster edit`."""
    member = incus_member(cluster, name, via)
    editable = {k: member[k] for k in ("description", "failure_domain", "roles", "config", "groups")}
    editable.update(changes)
    cluster.incus("cluster", "edit", name, member=via, input=yaml.safe_dump(editable))


@pytest.fixture
def restore_description(cluster: devcluster.DevCluster) -> Iterator[str]:
    """A member whose description a test may change; it is put back afterwards."""
    name = "member2"
    before = incus_member(cluster, name)["description"]
    yield name
    edit_member(cluster, name, description=before)


class Session:
    """A browser's view: the CSRF cookie from a page, sent back in the header htmx uses."""

    def __init__(self, dashboard) -> None:
        self.client = httpx.Client(base_url=dashboard.url, timeout=150)
        self.client.get("/")
        self.token = self.client.cookies["incus_webui_csrf"]

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.client.post(path, headers={"X-CSRF-Token": self.token, "HX-Request": "true"}, **kwargs)

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.client.request(method, "/api/v1" + path, headers={"X-CSRF-Token": self.token}, **kwargs)


@pytest.fixture
def session(dashboard):
    session = Session(dashboard)
    yield session
    session.client.close()
