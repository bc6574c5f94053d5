"""The wall display against the real cluster: read-only page, its own live stream."""

import re

import httpx
import pytest

from tests.conftest import edit_member
from tests.sse import Stream
from webui import db
from webui.auth import store

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def display_cookie(dashboard, name: str) -> dict[str, str]:
    return {store.DISPLAY_COOKIE: dashboard.display_url(name).split("token=")[1]}


def test_the_display_opens_with_a_token_and_has_no_controls(cluster, dashboard):
    url = dashboard.display_url("wall-1")
    token = url.split("token=")[1]
    with httpx.Client() as wall:  # no session: the token is the display's only key
        reply = wall.get(url, follow_redirects=True)
    assert reply.status_code == 200
    # The token left the URL for a cookie that only the NOC view and its stream receive.
    assert str(reply.url) == dashboard.url + "/noc" and reply.history[0].status_code == 303
    cookie = reply.history[0].headers["set-cookie"].lower()
    assert "path=/noc" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    page = reply.text
    for name in cluster.members:
        assert f'id="noc-member-{name}"' in page
    assert "<form" not in page and "<a " not in page and "<nav" not in page
    # One control only, off until someone clicks it: the sound.
    sound = '<button type="button" id="noc-sound" class="noc-sound" aria-pressed="false">'
    assert re.findall(r"<button[^>]*>", page) == [sound]
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script: the CSP forbids it
    assert 'id="noc-total-online"' in page and "member1" in page  # totals and leader
    assert 'sse-connect="/noc/stream?topic=noc&amp;v=' in page and token not in page


def test_the_stream_sends_freshness_and_changed_tiles(cluster, dashboard, restore_description):
    name = restore_description
    with Stream(dashboard.url + "/noc/stream?topic=noc&v=0", cookies=display_cookie(dashboard, "wall-2")) as stream:
        stream.wait_for(lambda f: f.event == "noc-tiles", timeout=10)  # the refresh
        stream.wait_for(lambda f: f.event == "noc-freshness", timeout=10)  # then on every resync
        edit_member(cluster, name, description="seen on the wall")
        frame = stream.wait_for(lambda f: f.event == f"noc-member-{name}", timeout=15)
        assert "seen on the wall" not in frame.data  # the wall shows status, not descriptions
        assert "ONLINE" in frame.data


def test_a_display_token_opens_nothing_else(dashboard):
    cookies = display_cookie(dashboard, "wall-3")
    token = cookies[store.DISPLAY_COOKIE]
    for path in ("/", "/audit", "/stream?topic=noc"):
        for how in ({"params": {"token": token}}, {"cookies": cookies}):
            assert httpx.get(dashboard.url + path, **how).status_code == 303, (path, how)  # to the login form
    assert httpx.get(dashboard.url + "/api/v1/cluster/members", params={"token": token}).status_code == 401
    url = dashboard.url + "/noc/stream?topic=members&topic=audit&topic=noc&topic=operations&topic=cluster"
    with Stream(url, cookies=cookies) as stream:
        stream.wait_for(lambda f: f.event == "noc-tiles", timeout=10)
        dashboard.login("operator").close()  # an audit record, published to whoever may see it
        stream.wait_for(lambda f: f.event == "noc-freshness", timeout=10)  # the next resync, after it
    # Only the wall's own frames: not the banner (Incus's endpoint, its errors) nor any
    # project's operations, which every dashboard page receives.
    assert {f.event for f in stream.seen} <= {"noc-tiles", "noc-summary", "noc-freshness", "noc-maintenance"} | {
        f"noc-member-{m}" for m in ("member1", "member2", "member3")
    }, {f.event for f in stream.seen}


def test_a_revoked_display_says_so_instead_of_asking_for_a_password(dashboard):
    url = dashboard.display_url("wall-4")
    engine = db.make_engine(dashboard.database_url)
    display = next(d for d in store.displays(engine) if d.name == "wall-4")
    store.revoke_display(engine, display.id)
    engine.dispose()
    reply = httpx.get(url, follow_redirects=False)
    assert reply.status_code == 403 and "ask an admin for a new display URL" in reply.text
