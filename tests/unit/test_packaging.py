"""The dashboard's package stands alone: the development cluster (`devcluster/`, beside `webui/`)
is neither imported by it nor shipped in its wheel."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def devcluster_modules_loaded_by(module: str) -> list[str]:
    """The devcluster modules that importing `module` loads, in a fresh interpreter: this test
    session has imported devcluster itself (tests/conftest.py). It runs from the repository root,
    so devcluster is there to be imported by mistake."""
    code = f"import sys, {module}; print(*sorted(m for m in sys.modules if m.split('.')[0] == 'devcluster'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_the_dashboard_imports_no_devcluster_module():
    assert devcluster_modules_loaded_by("webui.app") == []


def test_the_wheel_ships_every_package_of_webui_its_migrations_and_no_devcluster():
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    found = {".".join(init.relative_to(ROOT).parent.parts) for init in (ROOT / "webui").rglob("__init__.py")}
    assert {"webui", "webui.routes.api"} <= found
    assert set(packages) == found | {"webui.migrations", "webui.migrations.versions"}
    assert not [package for package in packages if package.split(".")[0] == "devcluster"]


# psycopg comes with the postgres extra only: a plain `pip install incus-webui` lacks it.
WITHOUT_PSYCOPG = "import sys; sys.modules['psycopg'] = None; import webui.app; from webui.cli import main; main()"


def cli_without_psycopg(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`incus-webui ARGS` in a fresh interpreter where `import psycopg` fails, as without the extra."""
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-c", WITHOUT_PSYCOPG, *args], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_the_plain_install_migrates_and_adds_a_user_without_psycopg(tmp_path: Path):
    assert "serve" in cli_without_psycopg(tmp_path, "--help").stdout
    assert "upgrade done" in cli_without_psycopg(tmp_path, "db", "upgrade").stdout
    added = cli_without_psycopg(tmp_path, "user", "add", "alice", "--role", "admin")
    assert "user alice (admin) created; password: " in added.stdout, added.stderr
    assert (tmp_path / "incus-webui.db").is_file()


def test_a_postgresql_database_without_psycopg_names_the_extra_in_one_line(tmp_path: Path):
    url = {"INCUS_WEBUI_DATABASE_URL": "postgresql://webui@127.0.0.1:1/webui"}
    said = ("incus-webui: database_url is PostgreSQL, whose driver psycopg is not installed:"
            " install the postgres extra (pip install 'incus-webui[postgres]')\n")
    for args in (["db", "upgrade"], ["user", "list"]):
        result = cli_without_psycopg(tmp_path, *args, **url)
        assert (result.returncode, result.stderr) == (1, said), args
    doctor = cli_without_psycopg(tmp_path, "doctor", **url).stdout
    assert "PROBLEM database: " + said.removeprefix("incus-webui: ") in doctor
