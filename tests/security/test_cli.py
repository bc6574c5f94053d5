"""Destructive CLI commands refuse to run unattended without --yes, and change nothing then."""

import pytest
from sqlalchemy import inspect

from tests.conftest import PERSONAS
from webui import db
from webui.auth import store

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize(
    "command",
    [
        ("db", "downgrade"),
        ("user", "disable", PERSONAS["operator"]),
        ("token", "revoke", "1"),
        ("display", "revoke", "1"),
    ],
)
def test_a_destructive_command_without_yes_is_refused_and_changes_nothing(own_dashboard, command):
    server = own_dashboard()
    server.cli("token", "create", PERSONAS["operator"])
    server.cli("display", "create", "wall")
    result = server.cli(*command, input="")  # not a terminal: nobody to ask
    assert result.returncode != 0 and "refused without --yes" in result.stderr
    engine = db.make_engine(server.database_url)
    try:
        assert "audit_log" in inspect(engine).get_table_names()
        assert not any(u.disabled for u in store.users(engine))
        assert not any(t.revoked_at for t, _ in store.api_tokens(engine))
        assert not any(d.revoked_at for d in store.displays(engine))
    finally:
        engine.dispose()


def test_db_downgrade_to_a_named_revision_or_with_yes_goes_ahead(own_dashboard, tmp_path):
    server = own_dashboard()
    server.stop()
    assert server.cli("db", "downgrade", "--yes").returncode == 0
    engine = db.make_engine(server.database_url)
    assert "audit_log" not in inspect(engine).get_table_names()
    engine.dispose()
