"""No control a role cannot use: each role walks every page in a real browser, and every
enabled control it finds (button, field, form, htmx request) leads to a route that role may use."""

import re

import pytest

from tests.browser.conftest import logged_in_page
from tests.routes import walk_routes
from webui.app import create_app
from webui.auth.roles import ROUTE_PERMISSIONS, can
from webui.settings import Settings

pytestmark = [pytest.mark.cluster, pytest.mark.browser, pytest.mark.usefixtures("server_fetched")]

PAGES = ["/", "/members/member1", "/history", "/cluster", "/cluster/groups", "/cluster/joining", "/operations",
         "/audit", "/settings", "/warnings"]

# Every enabled control, with the URL it would send to (its own, or its form's) and what it is.
CONTROLS = """() => {
  const found = [];
  const target = el => el.getAttribute("hx-post") || el.getAttribute("hx-get") || el.getAttribute("hx-delete")
      || el.getAttribute("hx-put") || el.getAttribute("hx-patch") || el.getAttribute("action") || "";
  const selector = "main button, main input, main select, main textarea, main form, main [hx-post], main [hx-get], "
      + "#operations button, header form";
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.type === "hidden") continue;
    const form = el.closest("form");
    const url = target(el) || (form ? target(form) || window.location.pathname : "");
    // Controls that only act in the page (sort, filter, columns, chart points) send nothing.
    const harmless = el.hasAttribute("data-close-dialog") || el.hasAttribute("data-copy") || el.tagName === "DETAILS"
        || (!target(el) && !form);
    const source = target(el) ? el : form;
    const method = !source ? "GET" : source.hasAttribute("hx-post") ? "POST" : source.hasAttribute("hx-get") ? "GET"
        : (source.getAttribute("method") || "GET").toUpperCase();
    const name = el.getAttribute("name") || el.textContent.trim().slice(0, 30);
    found.push({tag: el.tagName, name, url, method, harmless});
  }
  return found;
}"""


@pytest.fixture(scope="module")
def route_of(cluster, tmp_path_factory):
    """The route name a URL path reaches."""
    from webui import db

    url = f"sqlite:///{tmp_path_factory.mktemp('routes') / 'w.db'}"
    db.upgrade(url)
    app = create_app(Settings(database_url=url, addresses=[cluster.url("member1")], server_cert=cluster.cluster_cert))
    patterns = [
        (re.compile("^" + re.sub(r"\{[^}:]+(:path)?\}", "[^/?]+", r.path) + "$"), r.methods, r.name)
        for r in walk_routes(app) if r.kind == "api"
    ]

    def find(path: str, method: str = "GET") -> str:
        path = path.split("?")[0]
        found = [name for pattern, methods, name in patterns if method in methods and pattern.match(path)]
        assert len(found) == 1, (method, path, found)
        return found[0]

    return find


@pytest.fixture
def pending_token(cluster):
    """A join token: a running operation only an admin may cancel (revoke)."""
    cluster.incus("cluster", "add", "webui-walk")
    yield
    cluster.incus("cluster", "revoke-token", "webui-walk")


@pytest.mark.parametrize("role", ["admin", "operator", "auditor"])
def test_every_enabled_control_is_one_the_role_may_use(browser, dashboard, role, route_of, pending_token):
    page = logged_in_page(browser, dashboard, role)
    try:
        checked = 0
        for path in PAGES:
            reply = page.goto(dashboard.url + path)
            allowed_page = can(role, ROUTE_PERMISSIONS[route_of(path)])
            if not allowed_page:
                assert reply.status == 403, path
                continue
            page.wait_for_load_state("networkidle")
            for control in page.evaluate(CONTROLS):
                if control["harmless"]:
                    continue
                route = route_of(control["url"], control["method"])
                assert can(role, ROUTE_PERMISSIONS[route]), (role, path, route, control)
                checked += 1
        assert checked >= 10, f"only {checked} controls found: the walk sees nothing"
    finally:
        page.context.close()


def test_an_auditor_sees_no_cancel_save_or_replace(browser, dashboard, pending_token):
    page = logged_in_page(browser, dashboard, "auditor")
    try:
        for path in ("/cluster", "/operations", "/cluster/joining", "/cluster/groups"):
            page.goto(dashboard.url + path)
            page.wait_for_load_state("networkidle")
            for label in ("Save", "Cancel", "Replace certificate", "Revoke", "Create join token", "Rename", "Delete"):
                assert page.locator("main").get_by_role("button", name=label, exact=True).count() == 0, (path, label)
        page.goto(dashboard.url + "/operations")
        assert page.get_by_text("Join token for webui-walk").count() >= 1  # the operation is there, its Cancel is not
    finally:
        page.context.close()
