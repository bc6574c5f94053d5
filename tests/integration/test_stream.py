"""Live updates: one watcher, fanned out over SSE to every page."""

import html
import re
import time

import pytest

from tests.conftest import edit_member

pytestmark = pytest.mark.cluster


def upstream_requests(dashboard) -> float:
    return dashboard.metric("incus_webui_upstream_request_duration_seconds_count")


def test_a_change_made_with_the_incus_cli_reaches_an_open_stream(cluster, dashboard, restore_description):
    name = restore_description
    with dashboard.stream("/stream?topic=members") as stream:
        stream.wait_for(lambda f: f.event == "members", timeout=5)  # the initial refresh
        started = time.monotonic()
        edit_member(cluster, name, description="changed from the CLI")
        frame = stream.wait_for(lambda f: f.event == f"member-{name}" and "changed from the CLI" in f.data, timeout=5)
        assert time.monotonic() - started < 3
    assert frame.data.lstrip().startswith('<td class="col-n name">')  # the row's cells, not the page


def test_a_reconnecting_stream_gets_what_it_missed(dashboard):
    """A browser that was away (Last-Event-ID older than the snapshot) gets the whole table."""
    with dashboard.stream("/stream?topic=members", **{"Last-Event-ID": "1"}) as stream:
        stream.wait_for(lambda f: f.event == "members", timeout=5)
    events = [f.event for f in stream.seen]
    assert events[0] == "banner" and {"operations", "members"} <= set(events)
    assert int(stream.seen[0].id.split("-")[1]) > 1


def test_the_member_page_stream_carries_that_member_only(cluster, dashboard, restore_description):
    name = restore_description
    with dashboard.stream(f"/stream?topic=member:{name}") as stream:
        edit_member(cluster, name, description="for the member page")
        frame = stream.wait_for(lambda f: "for the member page" in f.data, timeout=5)
    assert frame.event == f"member-{name}-detail"
    assert all(not f.event.startswith("member-member1") for f in stream.seen)


def test_the_member_page_asks_for_a_stream_it_is_given(dashboard):
    """The stream the page itself names (its sse-connect), not one a test spells out."""
    for role in ("admin", "auditor"):
        client = dashboard.login(role)
        try:
            page = client.get("/members/member2").text
            url = html.unescape(re.search(r'sse-connect="([^"]+)"', page)[1])
            with client.stream("GET", url) as reply:
                assert reply.status_code == 200, (role, url)
        finally:
            client.close()


def test_browsers_cost_incus_nothing(dashboard):
    """Pages and streams are served from the snapshot: a burst of 50 page loads and 20 open
    streams adds no request to Incus beyond the watcher's own resync."""
    streams = [dashboard.stream("/stream?topic=members") for _ in range(20)]
    try:
        before = upstream_requests(dashboard)
        started = time.monotonic()
        for _ in range(25):
            dashboard.get("/")
            dashboard.get("/members/member1")
        elapsed = time.monotonic() - started
        added = upstream_requests(dashboard) - before
    finally:
        for stream in streams:
            stream.close()
    # The watcher alone sends a handful per second (poll every 1 s, state every 2 s in tests).
    assert added <= 10 * (elapsed + 1)
    assert added < 50


def test_the_server_shuts_down_cleanly_with_streams_open(cluster, tmp_path):
    from tests.conftest import Dashboard

    server = Dashboard(cluster.settings_file, tmp_path / "webui.db")
    streams = [server.stream("/stream?topic=members") for _ in range(3)]
    try:
        streams[0].wait_for(lambda f: f.event == "members", timeout=5)
        started = time.monotonic()
        server.process.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why.
        assert server.process.wait(timeout=15) in (0, -15)
        assert time.monotonic() - started < 10
        assert "Application shutdown complete" in (tmp_path / "webui.log").read_text()
    finally:
        for stream in streams:
            stream.close()
        server.stop()
