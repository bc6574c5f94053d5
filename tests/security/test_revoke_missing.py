"""An action on something that does not exist: refused with 404, and the audit log says it was
refused, never that something was revoked. Revoking twice is the same: the second did nothing."""

import pytest

from tests.conftest import PERSONAS
from tests.security.conftest import audit_rows

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize(("kind", "action"), [("tokens", "revoke-token"), ("displays", "revoke-display")])
def test_revoking_an_id_that_does_not_exist_on_the_page_is_refused_and_recorded_so(own_dashboard, kind, action):
    server = own_dashboard()
    reply = server.admin.post(f"/settings/{kind}/987654/revoke")
    assert reply.status_code == 404
    assert "987654" in reply.text and "nothing revoked" in reply.text
    outcomes = [r.outcome for r in audit_rows(server, action=action, target="987654")]
    assert outcomes == ["denied"]


@pytest.mark.parametrize(("command", "action"), [("token", "revoke-token"), ("display", "revoke-display")])
def test_revoking_an_id_that_does_not_exist_with_the_cli_is_refused_and_recorded_so(own_dashboard, command, action):
    server = own_dashboard()
    result = server.cli(command, "revoke", "987654", "--yes")
    assert result.returncode != 0 and "987654" in result.stderr
    outcomes = [r.outcome for r in audit_rows(server, action=action, target="987654")]
    assert outcomes == ["denied"]


def test_revoking_a_token_twice_records_one_revoke(own_dashboard):
    server = own_dashboard()
    assert server.cli("token", "create", PERSONAS["operator"]).returncode == 0
    assert server.cli("token", "revoke", "1", "--yes").returncode == 0
    again = server.cli("token", "revoke", "1", "--yes")
    assert again.returncode != 0 and "No active API token with id 1" in again.stderr
    outcomes = [r.outcome for r in audit_rows(server, action="revoke-token", target="1")]
    assert outcomes == ["requested", "succeeded", "denied"]
