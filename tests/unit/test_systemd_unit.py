"""The service unit shipped in the package: systemd accepts it, and it keeps what matters."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from webui.cli import main


@pytest.fixture
def unit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    main(["systemd-unit"])
    path = tmp_path / "incus-webui.service"
    path.write_text(capsys.readouterr().out)
    return path


def test_it_starts_this_installation_and_restarts_on_failure(unit: Path):
    lines = unit.read_text().splitlines()
    script = Path(sys.executable).parent / "incus-webui"
    assert f"ExecStart={script} serve --config /etc/incus-webui/webui.toml" in lines
    assert "Restart=on-failure" in lines
    # Its own user, in the group that may use Incus's socket; a read-only system but its state.
    assert {"User=incus-webui", "SupplementaryGroups=incus-admin", "ProtectSystem=strict",
            "StateDirectory=incus-webui", "WorkingDirectory=/var/lib/incus-webui"} <= set(lines)
    assert "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" in lines


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_accepts_it_without_a_warning(unit: Path):
    # verify exits 0 on a directive it ignores; what it prints is the verdict.
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
