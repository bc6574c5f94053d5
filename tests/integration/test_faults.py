"""Members that stop answering: shown OFFLINE, and the dashboard moves to another member."""

import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import Dashboard, edit_member, wait_until
from tests.integration.conftest import Session

pytestmark = pytest.mark.cluster


def api_status(dashboard, name: str) -> str:
    reply = dashboard.get(f"/api/v1/cluster/members/{name}")
    return reply.json()["metadata"]["status"] if reply.status_code == 200 else ""


def moved_off(dashboard, in_use: str) -> dict:
    """/healthz once the dashboard talks to another member, and reaches Incus there."""
    return wait_until(
        lambda: (h := dashboard.get("/healthz").json())["member"] not in ("", in_use) and h["incus_reachable"] and h,
        timeout=90,
    )


def test_a_frozen_member_shows_offline_then_online_again(cluster, dashboard):
    name = "member3"
    with dashboard.stream("/stream?topic=members") as stream:
        cluster.freeze(name)
        try:
            frame = stream.wait_for(
                lambda f: f.event == f"member-{name}" and "OFFLINE" in f.data, timeout=60
            )
            assert "No heartbeat" in frame.data  # Incus's own message
        finally:
            cluster.thaw(name)
        stream.wait_for(lambda f: f.event == f"member-{name}" and "ONLINE" in f.data, timeout=60)


def test_the_dashboard_moves_on_when_its_member_stops(cluster, dashboard, restore_description):
    in_use = dashboard.wait_healthy()["member"]
    other = next(m for m in cluster.members if m not in (in_use, restore_description))
    cluster.freeze(in_use)
    try:
        assert moved_off(dashboard, in_use)["endpoint"] != cluster.url(in_use)
        with dashboard.stream("/stream?topic=members") as stream:
            edit_member(cluster, restore_description, via=other, description="after failover")
            stream.wait_for(lambda f: "after failover" in f.data, timeout=20)
    finally:
        cluster.thaw(in_use)
    wait_until(lambda: api_status(dashboard, in_use) == "Online", timeout=60)


def test_the_dashboard_moves_on_when_its_member_is_killed(cluster, dashboard, restore_description):
    in_use = dashboard.wait_healthy()["member"]
    other = next(m for m in cluster.members if m not in (in_use, restore_description))
    cluster.stop_member(in_use)  # SIGKILL: the port closes, unlike a frozen member
    try:
        assert moved_off(dashboard, in_use)["endpoint"] != cluster.url(in_use)
        with dashboard.stream("/stream?topic=members") as stream:
            for attempt in range(3):  # the first edit may race the election of a new leader
                try:
                    edit_member(cluster, restore_description, via=other, description=f"after the kill {attempt}")
                    break
                except subprocess.CalledProcessError:
                    time.sleep(5)
            stream.wait_for(lambda f: "after the kill" in f.data, timeout=30)
    finally:
        cluster.start_member(in_use)
    wait_until(lambda: api_status(dashboard, in_use) == "Online", timeout=90)


def start_all(cluster) -> None:
    # Together: a member alone cannot come Online without a quorum of database members.
    with ThreadPoolExecutor(len(cluster.members)) as pool:
        list(pool.map(lambda m: cluster.start_member(m, timeout=180), cluster.members))


def answers_at_once(dashboard, path: str) -> httpx.Response:
    started = time.monotonic()
    reply = dashboard.get(path)
    assert time.monotonic() - started < 3, f"{path} took {time.monotonic() - started:.1f}s"
    assert reply.status_code < 500 or path == "/healthz", f"{path}: {reply.status_code}"
    return reply


def test_with_every_member_stopped_pages_answer_at_once_and_recover(cluster, dashboard, restore_description):
    for name in cluster.members:
        cluster.stop_member(name)
    try:
        wait_until(lambda: dashboard.get("/healthz").status_code == 503, timeout=60)
        health = answers_at_once(dashboard, "/healthz")
        assert health.status_code == 503 and health.json()["status"] == "incus unreachable"
        assert "Incus is unreachable" in answers_at_once(dashboard, "/").text
        assert "Incus is unreachable" in answers_at_once(dashboard, "/members/member1").text
        members = answers_at_once(dashboard, "/api/v1/cluster/members?recursion=1")
        assert members.status_code == 200  # the last known members, as the banner says
        with dashboard.stream("/stream?topic=members", **{"Last-Event-ID": "1"}) as stream:
            banner = stream.wait_for(lambda f: f.event == "banner", timeout=10)
        assert "Incus is unreachable" in banner.data
    finally:
        start_all(cluster)
    dashboard.wait_healthy(timeout=120)  # the same process: nobody restarted it
    with dashboard.stream("/stream?topic=members") as stream:
        edit_member(cluster, restore_description, description="after the outage")
        stream.wait_for(lambda f: "after the outage" in f.data, timeout=30)


def dropped_streams(server) -> float:
    return server.metric("incus_webui_sse_streams_dropped_total")


def test_a_client_that_stops_reading_is_dropped_without_slowing_the_others(cluster, tmp_path, restore_description):
    server = Dashboard(
        cluster.settings_file, tmp_path / "webui.db", INCUS_WEBUI_QUEUE_SIZE="4", INCUS_WEBUI_SEND_TIMEOUT="20"
    )
    slow = socket.socket()
    try:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # fills after a frame or two
        slow.connect(("127.0.0.1", server.port))
        cookie = "; ".join(f"{k}={v}" for k, v in server.cookies.items()).encode()
        host = f"127.0.0.1:{server.port}".encode()  # another Host is refused (allowed_hosts)
        slow.sendall(b"GET /stream?topic=members HTTP/1.1\r\nHost: " + host + b"\r\nCookie: " + cookie + b"\r\n\r\n")
        with server.stream("/stream?topic=members") as fast:
            # ~50 KiB a frame: the kernel's send buffer on loopback grows to 4 MiB, then
            # uvicorn's 64 KiB, then the hub's queue of 4 changes.
            for i in range(150):
                marker = f"slow-client-{i}"
                edit_member(cluster, restore_description, description=marker + " " + "x" * 50_000)
                fast.wait_for(lambda f, marker=marker: marker in f.data, timeout=10)  # never held up
                if dropped_streams(server) >= 1:
                    break
            assert dropped_streams(server) == 1
            assert server.metric("incus_webui_sse_streams_open") == 1  # the fast one
        # Its connection ends too: the send it was stuck in is cancelled when it is dropped.
        slow.settimeout(60)
        while slow.recv(65536):
            pass
    finally:
        slow.close()
        server.stop()
    # Said once, at INFO with why; not an ERROR from uvicorn beside it (a response cut short).
    log = server.log_file.read_text()
    assert log.count("dropping an SSE client that stopped reading") == 1
    assert "returned without completing" not in log, log


@pytest.fixture
def slow_to_stop(cluster):
    """The container on member3 ignores its stop signal, so an evacuation that stops it
    waits boot.host_shutdown_timeout (30 s) instead of taking a second."""
    name = next(i["name"] for i in cluster.instances() if i["location"] == "member3")
    cluster.incus("config", "set", name, "raw.lxc=lxc.signal.halt=SIGCONT", "boot.host_shutdown_timeout=30")
    yield name
    cluster.incus("config", "unset", name, "raw.lxc")
    cluster.incus("config", "unset", name, "boot.host_shutdown_timeout")


def running_evacuation(server) -> dict | None:
    running = server.get("/api/v1/operations").json()["metadata"].get("running", [])
    return next((op for op in running if op["description"] == "Evacuating cluster member"), None)


def test_a_restarted_dashboard_finds_the_running_evacuation_again(cluster, tmp_path, slow_to_stop):
    database = tmp_path / "webui.db"
    first = Dashboard(cluster.settings_file, database)
    try:
        session = Session(first)
        reply = session.api("POST", "/cluster/members/member3/state", json={"action": "evacuate", "mode": "stop"})
        session.client.close()
        assert reply.status_code == 202, reply.text
        operation_id = reply.json()["metadata"]["id"]
    finally:
        first.stop()
    second = Dashboard(cluster.settings_file, database)  # same database, fresh process
    try:
        try:
            found = wait_until(lambda: running_evacuation(second), timeout=20)
        except TimeoutError:
            raise AssertionError(second.get("/api/v1/operations").text) from None
        assert found["id"] == operation_id
        progress = wait_until(
            lambda: (op := running_evacuation(second)) and op["metadata"].get("evacuation_progress"), timeout=20
        )
        assert f'Stopping "{slow_to_stop}"' in progress  # Incus's own words
        page = second.get("/").text
        assert f'id="operation-{operation_id}"' in page and "RUNNING" in page
        done = wait_until(
            lambda: (op := second.get(f"/api/v1/operations/{operation_id}").json()["metadata"])["status"] != "Running"
            and op,
            timeout=90,
        )
        assert done["status"] == "Success", done["err"]
        wait_until(lambda: api_status(second, "member3") == "Evacuated", timeout=30)
    finally:
        cluster.incus("cluster", "restore", "member3", "--force", timeout=120)
        second.stop()
