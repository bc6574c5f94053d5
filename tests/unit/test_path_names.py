"""Every path parameter of every route has a rule (webui/routes/deps.py PATH_NAMES): a route
added with a parameter nobody checks would pass unchecked text towards Incus."""

import re

from tests.routes import walk_routes
from webui import db
from webui.app import create_app
from webui.routes.deps import PATH_NAMES
from webui.settings import Settings


def test_every_path_parameter_has_a_rule(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    db.upgrade(url)
    app = create_app(Settings(database_url=url, addresses=["https://127.0.0.1:1"]))
    parameters = {p for route in walk_routes(app) for p in re.findall(r"\{([a-z_]+)(?::[a-z]+)?\}", route.path)}
    # Six kinds on 2026-12-07: member, group, operation, API token, display, export format.
    assert len(parameters) >= 6, parameters
    assert parameters <= set(PATH_NAMES), f"parameters without a rule: {parameters - set(PATH_NAMES)}"
