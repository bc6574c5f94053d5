"""Every page a person can open, by route name, for the tests that walk them all (axe-core, the
person-level walk). The names come from the app's own routes, so a new page must be added here."""

from playwright.sync_api import Page

from tests.conftest import wait_until
from tests.routes import walk_routes
from webui import db
from webui.app import create_app
from webui.settings import Settings

# Pages opened by their URL (a maintenance run's is found at run time).
PAGES = {
    "overview": "/clusters",
    "members": "/",
    "member": "/members/member1",
    "history": "/history",
    "instances": "/instances",
    "maintenance": "/maintenance",
    "maintenance_run": None,
    "rolling_upgrade": "/upgrade",
    "operations": "/operations",
    "cluster": "/cluster",
    "groups": "/cluster/groups",
    "joining": "/cluster/joining",
    "audit": "/audit",
    "settings": "/settings",
    "second_factor": "/account/second-factor",
    "warnings": "/warnings",
}
# Dialogs, opened over the member page as their buttons do (htmx into #dialog).
DIALOGS = {
    "evacuate_dialog": "/members/member3/evacuate",
    "restore_dialog": "/members/member3/restore",
    "edit_dialog": "/members/member3/edit",
    "remove_dialog": "/members/member3/remove",
    "rolling_upgrade_dialog": "/upgrade/start",
}
# Seen apart: the login form (no session) and its second-factor steps (a password given first:
# tests/integration/test_second_factor.py), the wall displays (their token: both walls are
# checked with the login form), the cluster page's
# configuration search, whose fragment replaces the form as you type, and its rebalancing
# section, loaded into it as it opens, the member page's hardware section, which the member
# page loads into itself (checked there), and a warning's Delete dialog, opened on a real
# warning (tests/browser/test_warnings.py).
ELSEWHERE = {
    "login", "login_code", "login_enrol", "noc", "noc_clusters", "cluster_config_form", "cluster_rebalancing",
    "member_hardware", "warning_delete_dialog",
}
# HTML routes on 2026-12-07 (clusters, their wall, instances, second factor, hardware,
# warnings): add new ones above.
EXPECTED = 30


def html_route_names(cluster, folder) -> set[str]:
    """The names of the app's routes that answer a GET with HTML (a page or a dialog)."""
    url = f"sqlite:///{folder / 'w.db'}"
    db.upgrade(url)
    app = create_app(Settings(database_url=url, addresses=[cluster.url("member1")], server_cert=cluster.cluster_cert))
    return {route.name for route in walk_routes(app) if route.html and "GET" in route.methods and route.name}


def a_maintenance_run(cluster, dashboard) -> str:
    """A run on record: one of the dashboard's own, else an evacuation and restore of member3
    with the CLI (the dashboard follows those too)."""
    runs = dashboard.get("/api/v1/maintenance").json()["metadata"]
    if not runs:
        cluster.incus("cluster", "evacuate", "member3", "--force", "--action", "stop", timeout=300)
        cluster.incus("cluster", "restore", "member3", "--force", timeout=300)
        runs = wait_until(lambda: dashboard.get("/api/v1/maintenance").json()["metadata"], timeout=30)
    return runs[0]["operation_id"]


def open_dialog(page: Page, path: str) -> None:
    """A dialog opened as its button does: fetched by htmx into #dialog."""
    page.evaluate("path => htmx.ajax('GET', path, '#dialog')", path)
