"""Property-based tests of the JSON API from its own OpenAPI schema (schemathesis), against
the running dashboard: no 500s, and every reply matches the schema.

The mutating operations act on the real cluster (evacuate, remove!), so only those on a
member are sent, and they only ever name a member that does not exist (server configuration
and the certificate are left out: they have no harmless target). Reads take whatever
schemathesis generates. /stream is not in the schema (it never ends). All as the admin."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.integration.conftest import Session

pytestmark = pytest.mark.cluster

NO_SUCH_MEMBER = "no-such-member-schemathesis"
PROPERTIES = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@pytest.fixture(scope="module")
def admin(dashboard):
    """The admin's session and CSRF cookies, and the header htmx would send."""
    session = Session(dashboard)
    cookies = dict(session.client.cookies)
    session.client.close()
    return {"headers": {"X-CSRF-Token": session.token, "Sec-Fetch-Site": "same-origin"}, "cookies": cookies}


@pytest.fixture(scope="module")
def operations(dashboard, admin):
    # schemathesis's own pytest loader (from_fixture) does not run under pytest 9 yet.
    # The schema is for those who may use the API: asked as the admin.
    schema = schemathesis.openapi.from_url(dashboard.url + "/openapi.json", cookies=admin["cookies"])
    ops = [result.ok() for result in schema.get_all_operations()]
    return {f"{op.method.upper()} {op.path}": op for op in ops if op.path.startswith("/api/v1/")}


def test_the_schema_covers_reads_and_writes(operations):
    assert {"GET /api/v1/cluster/members", "PATCH /api/v1/cluster/members/{name}"} <= set(operations)


def test_reads_never_fail_and_match_the_schema(operations, admin):
    for key, operation in operations.items():
        if key.startswith("GET "):

            @PROPERTIES
            @given(case=operation.as_strategy())
            def read(case):
                case.call_and_validate(cookies=admin["cookies"])

            read()


def test_writes_to_an_unknown_member_never_fail_and_match_the_schema(operations, admin):
    for key, operation in operations.items():
        if not key.startswith("GET ") and "{name}" in key:

            @PROPERTIES
            @given(case=operation.as_strategy())
            def write(case):
                # Never a real member: whatever the body, nothing on the cluster may change.
                case.path_parameters = {**(case.path_parameters or {}), "name": NO_SUCH_MEMBER}
                response = case.call_and_validate(headers=admin["headers"], cookies=admin["cookies"])
                assert response.status_code in (400, 404), response.text

            write()
