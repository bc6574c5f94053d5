"""The JSON API mirrors Incus's own paths and shapes."""

import json
import time

import pytest

pytestmark = pytest.mark.cluster


def test_members_are_listed_as_urls_like_incus(cluster, dashboard):
    reply = dashboard.get("/api/v1/cluster/members").json()
    names = sorted(m["server_name"] for m in json.loads(cluster.incus("cluster", "list", "--format", "json").stdout))
    assert reply["type"] == "sync" and reply["status_code"] == 200
    assert reply["metadata"] == [f"/api/v1/cluster/members/{n}" for n in names]


def test_recursion_gives_the_members_with_incus_fields(cluster, dashboard):
    ours = dashboard.get("/api/v1/cluster/members", params={"recursion": 1}).json()["metadata"]
    theirs = json.loads(cluster.incus("query", "/1.0/cluster/members?recursion=1").stdout)
    assert {m["server_name"]: set(m) for m in ours} == {m["server_name"]: set(m) for m in theirs}
    assert [m["url"] for m in ours] == sorted(m["url"] for m in theirs)


def test_one_member_and_its_state(dashboard):
    member = dashboard.get("/api/v1/cluster/members/member1").json()["metadata"]
    assert member["server_name"] == "member1"
    deadline = time.monotonic() + 10  # member state comes with the watcher's first state round
    while (reply := dashboard.get("/api/v1/cluster/members/member1/state")).status_code != 200:
        assert reply.json()["error"] == 'The state of cluster member "member1" has not been fetched yet'
        assert time.monotonic() < deadline
        time.sleep(0.3)
    state = reply.json()["metadata"]
    assert state["sysinfo"]["uptime"] > 0
    assert "local" in state["storage_pools"]


def test_an_unknown_member_gives_incus_error_envelope(dashboard):
    reply = dashboard.get("/api/v1/cluster/members/nope")
    assert reply.status_code == 404
    assert reply.json() == {"type": "error", "error": "Cluster member not found", "error_code": 404}


def test_bad_parameters_get_a_clear_400(dashboard):
    reply = dashboard.get("/api/v1/cluster/members", params={"recursion": "lots"})
    assert reply.status_code == 400
    assert "recursion" in reply.json()["error"]


def test_openapi_documents_the_api(dashboard):
    paths = dashboard.get("/openapi.json").json()["paths"]
    assert "/api/v1/cluster/members/{name}/state" in paths
    assert dashboard.get("/docs").status_code == 200


def test_healthz_says_incus_is_reachable(dashboard):
    health = dashboard.get("/healthz").json()
    assert health["incus_reachable"] is True
    assert health["member"].startswith("member")
