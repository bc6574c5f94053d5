"""Fixtures: the real local Incus cluster, and a real dashboard process serving it.

The cluster is formed afresh once per session (`devcluster`, about 8 s) and goes down at the
end. INCUS_WEBUI_KEEP_CLUSTER=1 keeps it up, and makes the next run take it as it is. Tests that
change the cluster put it back; a run killed half-way cannot, hence the fresh start.
"""

import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

import devcluster
from devcluster import CONTAINER_PREFIX
from tests.postgres import PostgresServer
from webui import db
from webui.auth import store
from webui.middleware.csrf import session_token
from webui.settings import Settings

# The OpenID provider's fixture (`oidc`), the dashboard of several clusters (`both`) and the
# cluster to upgrade (`upgrade_rig`): plugins, since they build on this module's Dashboard.
pytest_plugins = ["tests.oidc_provider", "tests.several", "tests.upgrade_rig"]
ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = Path(os.environ.get("INCUS_WEBUI_TEST_DIR", "/var/tmp/incus-webui-test"))
# The Incus 7.0 cluster of the `lts7` tests: a state folder beside STATE_DIR, a subnet beside
# INCUS_WEBUI_DEV_SUBNET's.
STATE_DIR_7 = STATE_DIR.with_name(STATE_DIR.name + "-7.0")
MEMBERS = 3
# One account per role, as in healthchecks' alice/bob/charlie.
PERSONAS = {"admin": "alice", "operator": "bob", "auditor": "carol"}
PASSWORD = "correct horse battery staple"


def sibling_subnet(variable: str, offset: int) -> str:
    """A loopback subnet of its own for another cluster: `variable` if set, else the third octet
    of INCUS_WEBUI_DEV_SUBNET moved by offset (127.0.12 -> 127.0.112 for offset 100)."""
    if subnet := os.environ.get(variable):
        return subnet
    first, second, third = devcluster.SUBNET.split(".")
    return f"{first}.{second}.{(int(third) + offset) % 256}"


@pytest.fixture(scope="session")
def cluster() -> Iterator[devcluster.DevCluster]:
    yield from session_cluster(STATE_DIR)


@pytest.fixture(scope="session")
def cluster7() -> Iterator[devcluster.DevCluster]:
    """A 3-member cluster formed on Incus 7.0 (the sid root; built once, cached). Its containers
    exist but may not run: see devcluster.formation.tolerate_start_failure."""
    yield from session_cluster(STATE_DIR_7, incus="7.0", subnet=sibling_subnet("INCUS_WEBUI_TEST_SUBNET_7", 100))


def session_cluster(state: Path, **up: str) -> Iterator[devcluster.DevCluster]:
    """A cluster formed now, not one a killed run left with its instances, tokens and settings
    (a CI run once met the half-made containers of one killed mid-test); kept as it is only if
    INCUS_WEBUI_KEEP_CLUSTER=1 asks."""
    keep = os.environ.get("INCUS_WEBUI_KEEP_CLUSTER") == "1"
    if not keep:
        devcluster.down(state, purge=True)
    yield devcluster.up(MEMBERS, state, **up)
    if not keep:
        devcluster.down(state)


def csrf_token(client: httpx.Client) -> str:
    """The token a page would give this browser: bound to its session once logged in, else the
    CSRF cookie (each `__Host-` prefixed over HTTPS)."""
    session = client.cookies.get("__Host-incus_webui_session") or client.cookies.get("incus_webui_session")
    if session:
        return session_token(session)
    return client.cookies.get("__Host-incus_webui_csrf") or client.cookies["incus_webui_csrf"]


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

    def __init__(
        self,
        settings_file: Path,
        database: Path,
        database_url: str = "",
        personas: bool = True,
        port: int | None = None,
        program: tuple[str, ...] = (sys.executable, "-m", "webui.cli"),
        cwd: Path | None = None,
        ca: Path | None = None,
        needs_incus: bool = True,
        **env: str,
    ) -> None:
        self.port = port or free_port()  # a port: the same dashboard, restarted
        # ca: it serves HTTPS (INCUS_WEBUI_TLS_* in env) with a certificate signed by this one.
        self.verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(ca)) if ca else True
        self.url = f"{'https' if ca else 'http'}://127.0.0.1:{self.port}"
        self.database_url = database_url or f"sqlite:///{database}"
        # Dashboards given the same folder share the key (as several processes on one database must).
        self.key_file = Path(env.get("INCUS_WEBUI_AUDIT_KEY_FILE", database.parent / "audit.key"))
        if cwd is None:
            db.upgrade(self.database_url, key_file=self.key_file)
        else:  # another version's checkout (a benchmark's "before"): its own migrations
            own = {"INCUS_WEBUI_DATABASE_URL": self.database_url, "INCUS_WEBUI_AUDIT_KEY_FILE": str(self.key_file)}
            subprocess.run([*program, "db", "upgrade"], cwd=cwd, env={**os.environ, **own}, check=True)
        engine = db.make_engine(self.database_url)
        for role, name in PERSONAS.items() if personas else ():
            if not any(u.name == name for u in store.users(engine)):
                store.add_user(engine, name, role, PASSWORD)
        engine.dispose()
        environment = {
            **os.environ,
            "INCUS_WEBUI_DATABASE_URL": self.database_url,
            "INCUS_WEBUI_POLL_INTERVAL": "1",
            "INCUS_WEBUI_STATE_INTERVAL": "2",
            "INCUS_WEBUI_HEARTBEAT": "1",
            "INCUS_WEBUI_AUDIT_KEY_FILE": str(self.key_file),
            **env,
        }
        self.environment = environment
        self.log_file = database.with_suffix(".log")
        self.log = self.log_file.open("w")
        self.process = subprocess.Popen(
            [*program, "serve", "--config", str(settings_file), "--port", str(self.port)],
            env=environment,
            cwd=cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            # needs_incus=False: a dashboard for what needs no cluster (signing in), ready once it serves.
            self.wait_healthy(path="/healthz" if needs_incus else "/login")
        except (AssertionError, TimeoutError):
            self.process.kill()  # not left running, and watching the cluster, for the next tests
            self.process.wait()
            self.log.close()
            raise
        self.admin = self.login("admin") if personas else httpx.Client(base_url=self.url, verify=self.verify)

    def login(self, role: str) -> httpx.Client:
        """A browser-like client logged in with the persona of `role`; the caller closes it."""
        return self.login_as(PERSONAS[role])

    def login_as(self, name: str) -> httpx.Client:
        """A browser-like client logged in as the account `name` (password PASSWORD)."""
        client = httpx.Client(base_url=self.url, timeout=150, verify=self.verify)
        client.get("/login")
        reply = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf_token(client)})
        assert reply.status_code == 303, reply.text
        client.headers["X-CSRF-Token"] = csrf_token(client)
        # What a browser says of every request its own pages make (CSRF wants it, logged in).
        client.headers["Sec-Fetch-Site"] = "same-origin"
        return client

    def page_as(self, role: str, path: str) -> str:
        """A page as the persona of `role` sees it."""
        client = self.login(role)
        try:
            return client.get(path).text
        finally:
            client.close()

    @property
    def cookies(self) -> dict[str, str]:
        return dict(self.admin.cookies)

    def wait_healthy(self, timeout: float = 120, path: str = "/healthz") -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the dashboard exited; see its log"
            try:
                reply = httpx.get(self.url + path, timeout=2, verify=self.verify)
                if reply.status_code == 200:
                    return reply.json() if path == "/healthz" else {}
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError("the dashboard did not become healthy")

    def get(self, path: str, **kwargs) -> httpx.Response:
        """GET as the admin."""
        return self.admin.get(path, **kwargs)

    def metric(self, name: str, default: float | None = None, **labels: str) -> float:
        """The sum of a /metrics series' samples named `name` whose labels include `labels`;
        `default` when it has none (a labelled counter nothing was counted in yet)."""
        samples = [
            sample
            for family in text_string_to_metric_families(self.get("/metrics").text)
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        ]
        if not samples and default is not None:
            return default
        assert samples, f"no {name} in /metrics"
        return sum(sample.value for sample in samples)

    def display_url(self, name: str) -> str:
        """A NOC display's URL with a fresh token, as `incus-webui display create` prints it."""
        engine = db.make_engine(self.database_url)
        try:
            return f"{self.url}/noc?token={store.create_display(engine, name)}"
        finally:
            engine.dispose()

    def settings(self) -> Settings:
        """The settings this dashboard runs with, for the tests' own look at its database."""
        return Settings(database_url=self.database_url, audit_key_file=self.key_file)

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """`incus-webui ARGS` against this dashboard's database and audit key."""
        env = {k: v for k, v in self.environment.items() if k.startswith("INCUS_WEBUI_") or k == "PATH"}
        return subprocess.run(
            [sys.executable, "-m", "webui.cli", *args], env=env, capture_output=True, text=True, input=input, timeout=60
        )

    def stream(self, path: str, **headers: str):
        from tests.sse import Stream

        return Stream(self.url + path, headers=headers, cookies=self.cookies)

    def stop(self) -> None:
        self.admin.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(free_port())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dashboard(cluster: devcluster.DevCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    server = Dashboard(cluster.settings_file, tmp_path_factory.mktemp("dashboard") / "webui.db")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dashboard7(cluster7: devcluster.DevCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    server = Dashboard(cluster7.settings_file, tmp_path_factory.mktemp("dashboard7") / "webui.db")
    yield server
    server.stop()


@contextmanager
def throwaway_cluster(purpose: str, offset: int) -> Iterator[devcluster.DevCluster]:
    """A fresh 6.0 cluster for a test that breaks or upgrades its members (never the shared
    test cluster), on a subnet (`offset` from the tests' own, or INCUS_WEBUI_TEST_SUBNET_<PURPOSE>)
    and a state folder of its own, purged at the end whatever state the test left it in."""
    state = STATE_DIR.with_name(f"{STATE_DIR.name}-{purpose}")
    devcluster.down(state, purge=True)
    subnet = sibling_subnet(f"INCUS_WEBUI_TEST_SUBNET_{purpose.upper()}", offset)
    try:
        yield devcluster.up(MEMBERS, state, incus="6.0", subnet=subnet)
    finally:
        devcluster.down(state, purge=True)


@pytest.fixture(scope="module")
def healing_cluster() -> Iterator[devcluster.DevCluster]:
    """A throwaway cluster whose members a test freezes until Incus heals them."""
    with throwaway_cluster("healing", 50) as dev:
        yield dev


def incus_member(cluster: devcluster.DevCluster, name: str, via: str = "member1") -> dict:
    return yaml.safe_load(cluster.incus("cluster", "show", name, member=via).stdout)


def known_member(dashboard: Dashboard, name: str) -> dict:
    """A member as the dashboard's snapshot has it (what its checks and pages go by; a single
    member's GET asks Incus itself, for its ETag); {} when the snapshot has no such member."""
    members = dashboard.get("/api/v1/cluster/members", params={"recursion": 1}).json()["metadata"]
    return next((m for m in members if m["server_name"] == name), {})


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


@pytest.fixture
def server_fetched(dashboard: Dashboard) -> None:
    """The dashboard has read `/1.0` (its slow round comes after the first resync)."""
    deadline = time.monotonic() + 30
    while dashboard.get("/api/v1").status_code != 200:
        assert time.monotonic() < deadline, "the dashboard never fetched /1.0"
        time.sleep(0.3)


# Maintenance tests evacuate this member, crowded with containers, and restore it.
MAINTAINED = "member2"
EXTRA = 5  # beside the member's own container: six or more to move
RAW = ("{'", '"percent"', "'percent'")  # progress as a raw dict or JSON, on a page


@pytest.fixture(scope="module")
def crowded(cluster: devcluster.DevCluster) -> Iterator[list[str]]:
    """member2 with five more running containers; removed afterwards."""
    names = [f"{CONTAINER_PREFIX}mt{n}" for n in range(1, EXTRA + 1)]
    threads = [
        threading.Thread(target=cluster.incus, args=("launch", "busybox", name, "--target", MAINTAINED, "--quiet"))
        for name in names
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    yield [i["name"] for i in cluster.instances() if i["location"] == MAINTAINED]
    if cluster.member_status(MAINTAINED) == "Evacuated":
        cluster.incus("cluster", "restore", MAINTAINED, "--force", timeout=300)
    cluster.incus("delete", "--force", *names)


class Background(threading.Thread):
    """`incus cluster evacuate|restore` from the CLI, running while the test watches."""

    def __init__(self, cluster: devcluster.DevCluster, *args: str) -> None:
        super().__init__()
        self.cluster, self.args = cluster, args

    def run(self) -> None:
        self.cluster.incus("cluster", *self.args, MAINTAINED, "--force", timeout=300)
