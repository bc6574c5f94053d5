"""Ways to reach Incus: a remote of the incus CLI, the unix socket, addresses with certificates."""

import pytest

from tests.conftest import Dashboard

pytestmark = pytest.mark.cluster


def test_a_remote_of_the_incus_cli_is_enough(cluster, tmp_path):
    server = Dashboard(
        cluster.settings_file, tmp_path / "remote.db", INCUS_CONF=str(cluster.incus_conf), INCUS_WEBUI_REMOTE="dev"
    )
    try:
        health = server.wait_healthy()
        assert health["endpoint"] == cluster.url("member1")
        assert len(server.get("/api/v1/cluster/members").json()["metadata"]) >= 3
    finally:
        server.stop()


def test_the_local_unix_socket_works_without_certificates(cluster, tmp_path):
    socket = cluster.incus_dir("member2") / "unix.socket"
    server = Dashboard(cluster.settings_file, tmp_path / "socket.db", INCUS_WEBUI_SOCKET=str(socket),
                       INCUS_WEBUI_ADDRESSES="[]")
    try:
        health = server.wait_healthy()
        assert health["member"] == "member2" and health["endpoint"] == "http://incus"
    finally:
        server.stop()
