"""Default deny: every route, the API's own documents included, refuses anonymous requests.

/openapi.json and /docs are served by checked routes (webui/app.py), not FastAPI's plain
ones, where the authorization dependency never runs; tests/integration/test_auth.py
walks every route, plain Starlette ones included, and fails on any it does not check."""

import httpx
import pytest

pytestmark = pytest.mark.cluster


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/audit.csv", "/audit.jsonl", "/noc", "/stream"])
def test_an_anonymous_client_gets_nothing(dashboard, path):
    reply = httpx.get(dashboard.url + path, follow_redirects=False)
    assert reply.status_code in (303, 403), (path, reply.status_code)
    assert "openapi" not in reply.text and "paths" not in reply.text
