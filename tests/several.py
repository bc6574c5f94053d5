"""Several clusters in one dashboard, on real Incus side by side, shared by the tests of pages
of several clusters (tests/integration/test_clusters.py, tests/browser/test_noc_clusters.py):
the 6.0 test cluster as "prod", the 7.0 one as "staging" and a standalone 6.0 server as "lab"."""

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import devcluster
from devcluster import daemons
from tests.conftest import STATE_DIR, Dashboard, wait_until

REACH = ("addresses", "client_cert", "client_key", "server_cert")


def clusters_toml(named: dict[str, Path]) -> str:
    """A settings file holding each dev cluster's way in (its own webui.toml's) by name."""
    tables = []
    for name, settings_file in named.items():
        own = tomllib.loads(settings_file.read_text())
        lines = [f'name = "{name}"'] + [f"{key} = {own[key]!r}".replace("'", '"') for key in REACH]
        tables.append("[[clusters]]\n" + "\n".join(lines))
    return "\n\n".join(tables) + "\n"


@pytest.fixture(scope="session")
def standalone() -> Iterator[Path]:
    """An Incus 6.0 server never clustered: its unix socket. Stopped and purged at the end."""
    state = STATE_DIR.with_name(f"{STATE_DIR.name}-standalone")
    devcluster.down(state, purge=True)
    incus_dir = state / "member1"  # where devcluster.down finds (and stops) it
    daemons.launch(incus_dir)
    try:
        daemons.wait_ready("standalone", incus_dir, {**os.environ, "INCUS_DIR": str(incus_dir)}, 60)
        yield incus_dir / "unix.socket"
    finally:
        devcluster.down(state, purge=True)


@pytest.fixture(scope="session")
def both(cluster, cluster7, standalone, tmp_path_factory) -> Iterator[Dashboard]:
    folder = tmp_path_factory.mktemp("clusters")
    settings = folder / "webui.toml"
    settings.write_text(
        clusters_toml({"prod": cluster.settings_file, "staging": cluster7.settings_file})
        + f'\n[[clusters]]\nname = "lab"\nsocket = "{standalone}"\n'
    )
    server = Dashboard(settings, folder / "webui.db")
    # Members come with the first round, versions with the slow one (each member's /1.0).
    listed = lambda: server.get("/api/v1/clusters").json()["metadata"]  # noqa: E731
    wait_until(lambda: all(c["reachable"] and c["members"] and c["versions"] for c in listed()), timeout=60)
    yield server
    server.stop()
