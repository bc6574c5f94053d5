"""The wall display against the real cluster: read-only page, its own live stream."""

import re

import pytest

from tests.conftest import edit_member
from tests.sse import Stream

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def test_the_display_opens_with_a_token_and_has_no_controls(cluster, dashboard):
    reply = dashboard.get("/noc", params={"token": "wall-1"})
    assert reply.status_code == 200
    page = reply.text
    for name in cluster.members:
        assert f'id="noc-member-{name}"' in page
    assert "<form" not in page and "<button" not in page and "<a " not in page and "<nav" not in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script: the CSP forbids it
    assert 'id="noc-total-online"' in page and "member1" in page  # totals and leader
    assert 'sse-connect="/stream?topic=noc&amp;v=' in page and "&amp;token=wall-1" in page  # the stream's key too


def test_the_stream_sends_freshness_and_changed_tiles(cluster, dashboard, restore_description):
    name = restore_description
    with Stream(dashboard.url + "/stream?topic=noc&v=0") as stream:
        stream.wait_for(lambda f: f.event == "noc-tiles", timeout=10)  # the refresh
        stream.wait_for(lambda f: f.event == "noc-freshness", timeout=10)  # then on every resync
        edit_member(cluster, name, description="seen on the wall")
        frame = stream.wait_for(lambda f: f.event == f"noc-member-{name}", timeout=15)
        assert "seen on the wall" not in frame.data  # the wall shows status, not descriptions
        assert "ONLINE" in frame.data
