"""The wheel stands on its own: built from the sdist, installed into a fresh virtualenv outside
the checkout, it migrates its database, adds an account and serves the real cluster."""

import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, ROOT, Dashboard

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ of a fresh virtualenv holding only the wheel. Its dependencies come from this
    test's environment through a .pth file, so nothing is downloaded but the build backend;
    the checkout's own editable webui is not on that path (its finder .pth is not read)."""
    work = tmp_path_factory.mktemp("wheel")
    # Like `python -m build`: the sdist first, then the wheel from the unpacked sdist.
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(ROOT)], check=True,
                   capture_output=True)
    assert sorted(p.suffix for p in (work / "dist").iterdir()) == [".gz", ".whl"]
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    wheel = next((work / "dist").glob("*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install", "-q", "--no-deps", str(wheel)],
        check=True,
    )
    purelib = sysconfig.get_paths()["purelib"]
    (next((venv / "lib").glob("python3*/site-packages")) / "dependencies.pth").write_text(purelib + "\n")
    return venv / "bin"


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Path, tmp_path: Path):
    where = subprocess.run([installed / "python", "-c", "import webui; print(webui.__file__)"], cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed.parent)), where
    unit = subprocess.run([installed / "incus-webui", "systemd-unit"], cwd=tmp_path, capture_output=True, text=True,
                          check=True).stdout
    assert f"ExecStart={installed / 'incus-webui'} serve" in unit


def test_the_wheel_migrates_adds_a_user_and_serves_the_member_table(cluster, installed: Path, tmp_path: Path):
    env = {"INCUS_WEBUI_DATABASE_URL": f"sqlite:///{tmp_path / 'webui.db'}", "PATH": "/usr/bin:/bin"}

    def cli(*args: str, stdin: str = "") -> str:
        return subprocess.run([installed / "incus-webui", *args], input=stdin, env=env, cwd=tmp_path,
                              capture_output=True, text=True, check=True).stdout

    assert "upgrade done" in cli("db", "upgrade")
    assert "user alice (admin) created" in cli("user", "add", "alice", "--role", "admin", "--password-stdin",
                                                stdin=PASSWORD + "\n")
    server = Dashboard(cluster.settings_file, tmp_path / "webui.db", personas=False,
                       program=(str(installed / "incus-webui"),), cwd=tmp_path, **env)
    admin = server.login("admin")
    try:
        page = admin.get("/").text
        assert re.findall(r'<tr id="member-([^"]+)"', page) == sorted(cluster.members)
        assert admin.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200
    finally:
        admin.close()
        server.stop()
