"""The files the dashboard creates hold sessions, token hashes, the audit log and its key:
readable by their owner only (0600), in folders it creates for them, 0700."""

import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Dashboard

pytestmark = pytest.mark.cluster


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_db_upgrade_creates_private_files_and_folders(tmp_path):
    folder = tmp_path / "state" / "webui"
    env = {"PATH": "/usr/bin:/bin", "INCUS_WEBUI_DATABASE_URL": f"sqlite:///{folder / 'webui.db'}"}
    subprocess.run([sys.executable, "-m", "webui.cli", "db", "upgrade"], env=env, check=True, capture_output=True)
    assert mode(folder / "webui.db") == 0o600
    assert mode(folder / "webui.db.audit-key") == 0o600
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700


def test_a_serving_dashboard_keeps_its_files_private(cluster, tmp_path):
    server = Dashboard(cluster.settings_file, tmp_path / "fresh" / "webui.db")
    try:
        server.login("operator").close()  # records, so checkpoints
        settings = server.settings()
        for path in (tmp_path / "fresh" / "webui.db", settings.audit_key_path(), settings.audit_checkpoint_path()):
            assert mode(path) == 0o600, path
        assert mode(tmp_path / "fresh") == 0o700
    finally:
        server.stop()
