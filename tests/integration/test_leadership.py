"""One watcher per deployment: three dashboard processes on one PostgreSQL database elect one
to watch Incus; the others serve its changes from PostgreSQL. Killing the leader hands the
watch to another within 5 s, and no open stream misses a change."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from tests.conftest import Dashboard, edit_member
from tests.sse import Stream

pytestmark = pytest.mark.cluster

TAKEOVER = 5.0  # seconds, as the issue states


@pytest.fixture(scope="module")
def deployment(cluster, postgres, tmp_path_factory) -> Iterator[list[Dashboard]]:
    url = postgres.create_database("leadership")
    folder = tmp_path_factory.mktemp("leadership")
    servers: list[Dashboard] = []
    try:
        for n in range(3):
            servers.append(Dashboard(cluster.settings_file, folder / f"p{n}.db", database_url=url))
        yield servers
    finally:
        for server in servers:
            server.stop()


def alive(servers: list[Dashboard]) -> list[Dashboard]:
    return [s for s in servers if s.process.poll() is None]


def leaders(servers: list[Dashboard]) -> list[Dashboard]:
    return [s for s in alive(servers) if s.metric("incus_webui_watcher_leader") == 1]


def one_leader(servers: list[Dashboard], timeout: float) -> Dashboard:
    deadline = time.monotonic() + timeout
    while True:
        found = leaders(servers)
        if len(found) == 1 or time.monotonic() > deadline:
            assert len(found) == 1, f"{len(found)} leaders"
            return found[0]
        time.sleep(0.1)


def members_stream(server: Dashboard) -> Stream:
    stream = server.stream("/stream?topic=members")
    stream.wait_for(lambda f: f.event == "members", timeout=10)  # the initial refresh
    return stream


def upstream(server: Dashboard) -> float:
    """Requests this process sent to Incus (a follower may have sent none: no series at all)."""
    return server.metric("incus_webui_upstream_request_duration_seconds_count", default=0)


def test_exactly_one_process_watches_incus(deployment):
    leader = one_leader(deployment, timeout=30)
    followers = [s for s in deployment if s is not leader]
    before = {s.port: upstream(s) for s in deployment}
    time.sleep(4)  # several of the leader's resyncs (poll interval 1 s in tests)
    for _ in range(3):
        assert leaders(deployment) == [leader]
    after = {s.port: upstream(s) for s in deployment}
    assert after[leader.port] - before[leader.port] >= 4
    assert [after[s.port] - before[s.port] for s in followers] == [0, 0]


def test_the_doctor_names_the_leading_process(cluster, deployment):
    leader = one_leader(deployment, timeout=30)
    result = subprocess.run(
        [sys.executable, "-m", "webui.cli", "doctor", "--config", str(cluster.settings_file)],
        env={**os.environ, "INCUS_WEBUI_DATABASE_URL": leader.database_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert f":{leader.process.pid} watches Incus for the 3 dashboard processes" in result.stdout, result.stdout


def test_a_cli_change_reaches_a_followers_stream(cluster, deployment, restore_description):
    name = restore_description
    leader = one_leader(deployment, timeout=30)
    follower = next(s for s in deployment if s is not leader)
    with members_stream(follower) as stream:
        edit_member(cluster, name, description="seen through a follower")
        frame = stream.wait_for(lambda f: f.event == f"member-{name}" and "through a follower" in f.data, timeout=10)
    assert frame.data.lstrip().startswith('<td class="col-n name">')  # the row's cells, as from a leader
    assert 'class="spark-dot"' in frame.data  # the follower samples the leader's member states too


def test_killing_the_leader_hands_over_the_watch_and_no_stream_misses_a_change(
    cluster, deployment, restore_description
):
    name = restore_description
    leader = one_leader(deployment, timeout=30)
    survivors = [s for s in deployment if s is not leader]
    streams = [members_stream(s) for s in survivors]
    try:
        os.kill(leader.process.pid, signal.SIGKILL)
        killed = time.monotonic()
        leader.process.wait(timeout=10)
        # Changed while nobody watches: the new leader's first resync must bring it.
        edit_member(cluster, name, description="changed with no leader")
        successor = one_leader(survivors, timeout=TAKEOVER + 2)
        assert time.monotonic() - killed <= TAKEOVER
        for stream in streams:
            stream.wait_for(lambda f: f.event == f"member-{name}" and "with no leader" in f.data, timeout=10)
        edit_member(cluster, name, description="changed under the new leader")
        for stream in streams:
            stream.wait_for(lambda f: f.event == f"member-{name}" and "the new leader" in f.data, timeout=10)
        assert successor in survivors
    finally:
        for stream in streams:
            stream.close()
