"""A replaced cluster certificate reaches every dashboard process: replaced through one
dashboard, or with the incus CLI, while a second dashboard shares the database, and a
dashboard started afterwards with the old certificate in its settings."""

import time

import pytest

from tests.certs import make_certificate
from tests.conftest import Dashboard, wait_until
from webui import db
from webui.services.configuration import pinning
from webui.services.configuration.certificates import describe

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def fingerprint(server: Dashboard) -> str:
    reply = server.get("/api/v1")
    if reply.status_code != 200:
        return ""
    return describe(reply.json()["metadata"]["environment"]["certificate"]).fingerprint


def fresh(server: Dashboard) -> bool:
    """Healthy, and talking to Incus now (not showing what it knew before)."""
    health = server.wait_healthy(timeout=30)
    return bool(health["incus_reachable"] and health["data_age_seconds"] < 5)


def stored_fingerprint(server: Dashboard) -> str:
    engine = db.make_engine(server.database_url)
    try:
        pem = pinning.stored(engine, "default")  # the cluster the test dashboard holds (cluster_name)
        return describe(pem).fingerprint if pem else ""
    finally:
        engine.dispose()


@pytest.fixture
def original(cluster):
    """The cluster's certificate and key, put back with the CLI whatever happens."""
    certificate = (cluster.incus_dir("member1") / "cluster.crt").read_text()
    key = (cluster.incus_dir("member1") / "cluster.key").read_text()
    yield certificate, key
    if (cluster.incus_dir("member1") / "cluster.crt").read_text() != certificate:
        replace_with_cli(cluster, certificate, key)


def replace_with_cli(cluster, certificate: str, key: str) -> None:
    folder = cluster.state_dir / "replacement"
    folder.mkdir(exist_ok=True)
    (folder / "cluster.crt").write_text(certificate)
    (folder / "cluster.key").write_text(key)
    cluster.incus("cluster", "update-certificate", str(folder / "cluster.crt"), str(folder / "cluster.key"))


@pytest.fixture
def second(cluster, dashboard, tmp_path):
    """Another dashboard process on the same database, as behind a load balancer."""
    server = Dashboard(cluster.settings_file, tmp_path / "second.db", database_url=dashboard.database_url)
    yield server
    server.stop()


def test_a_replacement_through_one_dashboard_reaches_the_others(
    cluster, dashboard, second, session, original, tmp_path
):
    certificate, key = make_certificate("replaced through the first dashboard")
    new = describe(certificate).fingerprint
    body = {"cluster_certificate": certificate, "cluster_certificate_key": key}
    reply = session.api("PUT", "/cluster/certificate", json=body)
    assert reply.status_code == 200, reply.text
    assert stored_fingerprint(dashboard) == new  # in the shared database
    wait_until(lambda: fingerprint(second) == new, timeout=30)
    time.sleep(3)
    assert fresh(dashboard) and fresh(second)
    # A process started now, with the old certificate in its settings, trusts the new one.
    third = Dashboard(cluster.settings_file, tmp_path / "third.db", database_url=dashboard.database_url)
    try:
        wait_until(lambda: fingerprint(third) == new, timeout=30)
        assert fresh(third)
    finally:
        third.stop()
    body = {"cluster_certificate": original[0], "cluster_certificate_key": original[1]}
    assert session.api("PUT", "/cluster/certificate", json=body).status_code == 200
    wait_until(lambda: fingerprint(second) == describe(original[0]).fingerprint, timeout=30)


def test_a_replacement_with_the_cli_reaches_every_dashboard(cluster, dashboard, second, original):
    certificate, key = make_certificate("replaced with the incus CLI")
    new = describe(certificate).fingerprint
    replace_with_cli(cluster, certificate, key)
    for server in (dashboard, second):
        wait_until(lambda s=server: fingerprint(s) == new, timeout=30)
    assert stored_fingerprint(dashboard) == new
    time.sleep(3)
    assert fresh(dashboard) and fresh(second)
    replace_with_cli(cluster, *original)
    for server in (dashboard, second):
        wait_until(lambda s=server: fingerprint(s) == describe(original[0]).fingerprint, timeout=30)
    assert fresh(dashboard) and fresh(second)
