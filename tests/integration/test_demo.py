"""The demo's settings file is the demo's, for every subcommand of the CLI, and the demo tells
where its NOC wall is."""

import os
import secrets
import subprocess
import sys

import pytest

from devcluster.demo import prepare

pytestmark = pytest.mark.cluster


def test_the_demo_settings_file_serves_every_subcommand(cluster, monkeypatch, tmp_path):
    monkeypatch.setenv("INCUS_WEBUI_CONFIG", "")  # prepare() sets it in this process; put back after
    before = cluster.settings_file.read_text()
    try:
        settings, lines = prepare(len(cluster.members), "127.0.0.1", 8123, cluster.state_dir)
        config = str(cluster.settings_file)

        def cli(*args: str) -> str:
            clean = {k: v for k, v in os.environ.items() if not k.startswith("INCUS_WEBUI_")}
            return subprocess.run([sys.executable, "-m", "webui.cli", *args, "--config", config], env=clean,
                                  cwd=tmp_path, capture_output=True, text=True, check=True).stdout

        database = f"sqlite:///{cluster.state_dir / 'webui.db'}"
        assert settings.database_url == database
        password = (cluster.state_dir / "admin-password").read_text()
        assert f"open http://127.0.0.1:8123/ and log in as admin, password {password}" in lines
        assert f"the NOC wall display: {(cluster.state_dir / 'noc-url').read_text()}" in lines
        assert (cluster.state_dir / "noc-url").read_text().startswith("http://127.0.0.1:8123/noc?token=")

        assert database in cli("db", "upgrade")
        assert "admin\tadmin\tactive" in cli("user", "list").splitlines()
        lobby = f"lobby {secrets.token_hex(3)}"  # the demo's database outlives a kept cluster
        assert cli("display", "create", lobby).startswith("http://127.0.0.1:8123/noc?token=")
        displays = {line.split("\t")[1] for line in cli("display", "list").splitlines()}
        assert {"demo wall", lobby} <= displays
        assert len(cli("token", "create", "admin").strip()) >= 32
        assert "chain intact" in cli("audit", "verify")
        assert cli("doctor").splitlines()[-1] == "no problems found"
        assert not (tmp_path / "incus-webui.db").exists()  # nothing went to the default database
    finally:
        cluster.settings_file.write_text(before)
