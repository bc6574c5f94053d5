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
