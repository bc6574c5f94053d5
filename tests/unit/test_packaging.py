"""The dashboard's package stands alone: the development cluster (`devcluster/`, beside `webui/`)
is neither imported by it nor shipped in its wheel."""

import subprocess
import sys
import tomllib
from fnmatch import fnmatchcase
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


def test_the_wheel_leaves_devcluster_out():
    # setuptools matches these patterns with fnmatchcase against each package's dotted name.
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    assert any(fnmatchcase("webui", pattern) for pattern in include)
    assert not any(
        fnmatchcase(package, pattern) for package in ("devcluster", "devcluster.demo") for pattern in include
    )
