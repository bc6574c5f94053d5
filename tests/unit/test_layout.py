"""The architecture, held by its imports (read from the source, so nothing is imported):
no cycle between the rooms of webui/, route modules that never import each other, and
modules that stay small."""

import ast
from pathlib import Path

import webui

PACKAGE = Path(webui.__file__).parent
MAX_LINES = 420  # "past ~400 lines, look for the second idea that moved in"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path) -> set[str]:
    """The webui modules `path` imports (`from webui.x import y` counts y when it is a module)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {n for n in names if n.split(".")[0] == "webui"}


def room(module: str) -> str:
    """A package of webui/ (`webui.live`), or a top-level module (`webui.db`)."""
    return ".".join(module.split(".")[:2])


def test_the_package_is_read():
    found = modules()
    assert len(found) > 40
    expected = {"webui.app", "webui.services.members.changes", "webui.routes.api.members", "webui.middleware.csrf"}
    assert expected <= set(found)


def test_no_import_cycle_between_rooms():
    found = modules()
    edges: dict[str, set[str]] = {}
    for module, path in found.items():
        for target in imports(path) & set(found):
            if room(target) != room(module):
                edges.setdefault(room(module), set()).add(room(target))
    assert edges["webui.services"] >= {"webui.audit", "webui.incus", "webui.live"}  # the walk sees imports

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, set()) - seen:
            if nxt == goal or reaches(nxt, goal, seen | {nxt}):
                return True
        return False

    cycles = sorted(r for r in edges if reaches(r, r, set()))
    assert cycles == [], f"rooms in an import cycle: {cycles}"


def test_route_modules_never_import_each_other():
    found = modules()
    routes = {m for m, p in found.items() if m.startswith("webui.routes.") and "router = APIRouter" in p.read_text()}
    assert {"webui.routes.members", "webui.routes.api.members", "webui.routes.member_dialogs"} <= routes
    assert "webui.routes.deps" in imports(found["webui.routes.members"])  # the walk sees route imports
    offenders = {m: sorted(imports(found[m]) & routes) for m in routes if imports(found[m]) & routes}
    assert offenders == {}


def test_modules_stay_small():
    sizes = {m: len(p.read_text().splitlines()) for m, p in modules().items()}
    assert sizes["webui.app"] > 50  # the count reads real files
    assert {m: n for m, n in sizes.items() if n > MAX_LINES} == {}
