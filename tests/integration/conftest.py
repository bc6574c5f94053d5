"""What the integration tests share: a logged-in, browser-like session against the dashboard."""

import httpx
import pytest

from tests.conftest import csrf_token


class Session:
    """A logged-in browser's view: htmx posts carry the CSRF header."""

    def __init__(self, dashboard, role: str = "admin") -> None:
        self.client = dashboard.login(role)
        self.token = csrf_token(self.client)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.client.post(path, headers={"HX-Request": "true"}, **kwargs)

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.client.request(method, "/api/v1" + path, **kwargs)


@pytest.fixture
def session(dashboard):
    session = Session(dashboard)
    yield session
    session.client.close()
