"""The dashboard behind a real nginx running contrib/nginx/incus-webui.conf: pages, login, a POST
with its CSRF token, /stream, and the client's address taken from the proxy only."""

import os
import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PASSWORD, PERSONAS, Dashboard, csrf_token, edit_member, free_port
from tests.nginx import Nginx
from tests.sse import Stream
from webui import db
from webui.models import AuditRecord

pytestmark = pytest.mark.cluster

# A loopback address of this run's subnet that no member uses: the "browser" of these tests.
BROWSER = os.environ.get("INCUS_WEBUI_DEV_SUBNET", "127.0.0") + ".200"


@pytest.fixture(scope="module")
def proxied(cluster, tmp_path_factory) -> Iterator[tuple[Dashboard, Nginx]]:
    folder = tmp_path_factory.mktemp("proxy")
    port = free_port()
    proxy = Nginx(folder / "nginx", port)  # up first: the dashboard is told where browsers reach it
    try:
        server = Dashboard(
            cluster.settings_file, folder / "webui.db", port=port,
            INCUS_WEBUI_FORWARDED_ALLOW_IPS='["127.0.0.1"]', INCUS_WEBUI_PUBLIC_URL=proxy.url,
        )
    except BaseException:
        proxy.stop()
        raise
    yield server, proxy
    proxy.stop()
    server.stop()


def browser(base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url, transport=httpx.HTTPTransport(local_address=BROWSER), timeout=30,
        headers={"Sec-Fetch-Site": "same-origin"},
    )


def login(client: httpx.Client, **headers: str) -> httpx.Response:
    client.get("/login")
    return client.post(
        "/login",
        data={"name": PERSONAS["admin"], "password": PASSWORD, "csrf_token": client.cookies["incus_webui_csrf"]},
        headers=headers,
    )


def last_login_addresses(server: Dashboard) -> tuple[str, str]:
    """The last login's socket peer and the address a trusted proxy forwarded ("" if none)."""
    engine = db.make_engine(server.database_url)
    try:
        with Session(engine) as session:
            query = select(AuditRecord.source_address, AuditRecord.forwarded_for).where(AuditRecord.action == "login")
            peer, forwarded = session.execute(query.order_by(AuditRecord.id.desc()).limit(1)).one()
            return peer, forwarded
    finally:
        engine.dispose()


def test_login_pages_and_a_csrf_post_work_through_the_proxy(cluster, proxied):
    server, proxy = proxied
    with browser(proxy.url) as client:
        assert login(client).status_code == 303
        page = client.get("/")
        assert re.findall(r'<tr id="member-([^"]+)"', page.text) == sorted(cluster.members)
        assert client.post("/settings/displays", data={"name": "through nginx"}).status_code == 403  # no token
        client.headers["X-CSRF-Token"] = csrf_token(client)
        created = client.post("/settings/displays", data={"name": "through nginx"})
        assert created.status_code == 200
        # The display's URL names the proxy: public_url (never the Host header).
        assert f"{proxy.url}/noc?token=" in created.text


def test_the_client_address_comes_from_the_proxy_not_from_the_client(proxied):
    server, proxy = proxied
    with browser(proxy.url) as client:
        assert login(client, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 303
    assert last_login_addresses(server) == ("127.0.0.1", BROWSER)  # nginx replaced what the client claimed
    with browser(server.url) as client:  # straight to the dashboard, from an untrusted address
        assert login(client, **{"X-Forwarded-For": "203.0.113.9"}).status_code == 303
    assert last_login_addresses(server) == (BROWSER, "")


def test_a_change_reaches_a_stream_through_the_proxy(cluster, proxied, restore_description):
    server, proxy = proxied
    with Stream(proxy.url + "/stream?topic=members", cookies=server.cookies) as stream:
        stream.wait_for(lambda f: f.event == "members", timeout=5)
        edit_member(cluster, restore_description, description="through nginx")
        # Its own change: a redraw of the row for another reason may come first.
        stream.wait_for(lambda f: f.event == f"member-{restore_description}" and "through nginx" in f.data, timeout=10)
