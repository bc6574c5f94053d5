"""Which clusters the dashboard holds, as an admin names them: `[[clusters]]`, `--remote`
again and again, or every Incus server among the CLI's remotes (image servers skipped); and
which cluster a path is for."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from webui.cli import remote_flags
from webui.middleware.cluster_paths import routed
from webui.settings import Settings

CONFIG = """
default-remote: prod
remotes:
  prod: {addr: "https://10.0.0.1:8443", protocol: incus}
  staging: {addr: "https://10.0.1.1:8443,https://10.0.1.2:8443"}
  images: {addr: "https://images.linuxcontainers.org", protocol: simplestreams, public: true}
  docker: {addr: "https://docker.io", protocol: oci, public: true}
"""


@pytest.fixture
def incus_conf(tmp_path: Path) -> Path:
    (tmp_path / "config.yml").write_text(CONFIG)
    (tmp_path / "client.crt").write_text("x")
    (tmp_path / "client.key").write_text("x")
    return tmp_path


def test_every_incus_server_among_the_remotes_and_no_image_server(incus_conf):
    watched = Settings(all_remotes=True, incus_conf=incus_conf).watched()
    assert [name for name, _ in watched] == ["prod", "staging"]
    assert watched[1][1].addresses == ["https://10.0.1.1:8443", "https://10.0.1.2:8443"]


def test_remote_given_again_and_again_holds_a_cluster_each(incus_conf):
    assert remote_flags(["prod"]) == {"remote": "prod"}  # one: as it always was
    settings = Settings(incus_conf=incus_conf, **remote_flags(["prod", "staging"]))
    assert [name for name, _ in settings.watched()] == ["prod", "staging"]
    assert [name for name, _ in Settings(incus_conf=incus_conf, remote="prod").watched()] == ["prod"]


def test_clusters_tables_need_distinct_valid_names():
    sockets = [{"name": "a", "socket": "/run/a.socket"}, {"name": "b", "socket": "/run/b.socket"}]
    assert [name for name, _ in Settings(clusters=sockets).watched()] == ["a", "b"]
    with pytest.raises(ValidationError, match="each name once"):
        Settings(clusters=[sockets[0], sockets[0]])
    for bad in ("..", "a/b", "x" * 51, ""):
        with pytest.raises(ValidationError):
            Settings(clusters=[{"name": bad, "socket": "/run/a.socket"}])


def scope(path: str, names: tuple[str, ...] = ("prod", "staging")) -> dict:
    clusters = {name: SimpleNamespace(state=lambda name=name: {"hub": name}) for name in names}
    return {"type": "http", "path": path, "state": {"hub": "prod", "clusters": clusters}}


@pytest.mark.parametrize(
    ("path", "inner", "hub"),
    [
        ("/clusters/staging/members/member1", "/members/member1", "staging"),
        ("/clusters/staging/", "/", "staging"),
        ("/api/v1/clusters/staging/cluster/members", "/api/v1/cluster/members", "staging"),
        ("/api/v1/clusters/staging", "/api/v1", "staging"),  # its server: not redirected to the first's
        ("/members/member1", "/members/member1", "prod"),  # the first cluster's, as before
        ("/", "/clusters", "prod"),  # the overview
        ("/clusters", "/clusters", "prod"),
        ("/clusters/ghost/members", "/clusters/ghost/members", "prod"),  # no such cluster: a 404 below
        ("/api/v1/clusters", "/api/v1/clusters", "prod"),
    ],
)
def test_a_path_names_its_cluster(path, inner, hub):
    found = routed(scope(path), scope(path)["state"]["clusters"])
    assert (found["path"], found["state"]["hub"]) == (inner, hub)


def test_one_cluster_keeps_its_landing_page():
    found = routed(scope("/", ("prod",)), scope("/", ("prod",))["state"]["clusters"])
    assert found["path"] == "/"
