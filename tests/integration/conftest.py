"""What the integration tests share: a browser-like session against the dashboard."""

import time

import httpx
import pytest


class Session:
    """A browser's view: the CSRF cookie from a page, sent back in the header htmx uses."""

    def __init__(self, dashboard) -> None:
        self.client = httpx.Client(base_url=dashboard.url, timeout=150)
        self.client.get("/")
        self.token = self.client.cookies["incus_webui_csrf"]

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.client.post(path, headers={"X-CSRF-Token": self.token, "HX-Request": "true"}, **kwargs)

    def api(self, method: str, path: str, **kwargs) -> httpx.Response:
        return self.client.request(method, "/api/v1" + path, headers={"X-CSRF-Token": self.token}, **kwargs)


@pytest.fixture
def session(dashboard):
    session = Session(dashboard)
    yield session
    session.client.close()


def wait_until(check, timeout: float = 60, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(interval)
    raise TimeoutError("condition not met in time")
