"""Every page and every route against a cluster formed on Incus 7.0, the newer LTS line: a
difference between 6.0 and 7.0 (member statuses, configuration keys, API extensions, event
shapes) fails here instead of for a user. The rest of the suite runs on 6.0.

Containers: the 7.0 members run the sid root's liblxc, which often cannot start containers on a
cgroup v1 (hybrid) host ("Failed to enter monitor cgroup"). Nothing here needs one running."""

import json
import re
import time

import pytest

from tests.conftest import edit_member, incus_member, wait_until
from tests.routes import REQUESTS, STREAMS
from webui.auth.roles import ROUTE_PERMISSIONS
from webui.services.configuration.keys import RULES

pytestmark = [pytest.mark.cluster, pytest.mark.lts7]
# Routes whose harmless request (tests/integration/test_auth.py) names something that does not exist.
NOT_FOUND = ("get_operation", "maintenance_run", "get_maintenance", "warning_delete_dialog", "get_warning")

# Pages and reads asked with a member that exists (REQUESTS asks about "nosuch" for writes).
REAL = {
    "member": "/members/member2",
    "evacuate_dialog": "/members/member2/evacuate",
    "restore_dialog": "/members/member2/restore",
    "edit_dialog": "/members/member2/edit",
    "remove_dialog": "/members/member2/remove",
    "get_member": "/api/v1/cluster/members/member2",
    "get_member_state": "/api/v1/cluster/members/member2/state",
    "cluster_config_form": "/cluster/config?target=member2",
}


def test_the_cluster_runs_incus_7(cluster7):
    versions = {cluster7.query("/1.0", member=m)["environment"]["server_version"] for m in cluster7.members}
    assert len(versions) == 1 and versions.pop().startswith("7.0.")


def test_every_route_answers_without_a_server_error(cluster7, dashboard7):
    wait_until(lambda: dashboard7.get("/api/v1/cluster/members/member2/state").status_code == 200, timeout=30)
    wait_until(lambda: dashboard7.get("/api/v1").status_code == 200, timeout=30)
    asked = set()
    for route, (method, path, kwargs) in REQUESTS.items():
        path = REAL.get(route, path)
        if route == "noc":
            path = dashboard7.display_url("lts7").removeprefix(dashboard7.url)
        # A display's URL moves its token into a cookie (303), then shows the wall.
        follow = route == "noc"
        reply = dashboard7.admin.request(
            method, path, headers={"HX-Request": "true"}, follow_redirects=follow, **(kwargs or {})
        )
        assert reply.status_code < 500 and "Traceback" not in reply.text, (route, reply.status_code, reply.text[:300])
        if method == "GET" and route not in NOT_FOUND:
            assert reply.status_code == 200, (route, reply.status_code, reply.text[:300])
        asked.add(route)
    # Every route but the public ones (login, health) and the streams (the last test reads one).
    guarded = {route for route, permission in ROUTE_PERMISSIONS.items() if permission != "public"}
    assert guarded - asked == STREAMS


def test_pages_show_incus_7_members_as_incus_lists_them(cluster7, dashboard7):
    theirs = json.loads(cluster7.incus("cluster", "list", "--format", "json").stdout)
    version = cluster7.query("/1.0")["environment"]["server_version"]

    def table_matches():
        page = dashboard7.get("/").text
        rows = dict(re.findall(r'<tr id="member-([^"]+)".*?<td class="col-v version">([^<]*)</td>', page, re.S))
        return rows == {m["server_name"]: version for m in theirs} and all(
            m["message"] in page and m["status"].upper() in page for m in theirs
        )

    assert wait_until(table_matches, timeout=30)
    cluster_page = dashboard7.get("/cluster").text
    assert f"Every member runs Incus {version}" in cluster_page
    assert "Cluster upgrade in progress" not in cluster_page
    for name in cluster7.members:
        assert version in dashboard7.get(f"/members/{name}").text


def test_api_reads_give_incus_7s_own_shapes(cluster7, dashboard7):
    ours = dashboard7.get("/api/v1/cluster/members", params={"recursion": 1}).json()["metadata"]
    theirs = cluster7.query("/1.0/cluster/members?recursion=1")
    assert {m["server_name"]: set(m) for m in ours} == {m["server_name"]: set(m) for m in theirs}
    server = wait_until(lambda: (r := dashboard7.get("/api/v1")).status_code == 200 and r.json()["metadata"])
    assert server["environment"]["server_version"].startswith("7.0.")
    assert set(server["api_extensions"]) == set(cluster7.query("/1.0")["api_extensions"])
    state = dashboard7.get("/api/v1/cluster/members/member2/state").json()["metadata"]
    assert state["sysinfo"]["uptime"] > 0 and "local" in state["storage_pools"]
    missing = dashboard7.get("/api/v1/cluster/members/nosuch")
    assert missing.status_code == 404 and missing.json()["type"] == "error"


def test_a_harmless_write_reaches_incus_7_and_comes_back_live(cluster7, dashboard7):
    name = "member3"
    before = incus_member(cluster7, name)["description"]
    try:
        with dashboard7.stream("/stream?topic=members") as stream:
            stream.wait_for(lambda f: f.event == "members", timeout=5)
            member = dashboard7.get(f"/api/v1/cluster/members/{name}").json()["metadata"]
            editable = {k: member[k] for k in ("description", "failure_domain", "roles", "config", "groups")}
            reply = dashboard7.admin.put(
                f"/api/v1/cluster/members/{name}", json={**editable, "description": "set on Incus 7.0"}
            )
            assert reply.status_code == 200, reply.text
            assert incus_member(cluster7, name)["description"] == "set on Incus 7.0"
            started = time.monotonic()
            edit_member(cluster7, name, description="changed with the 7.0 CLI")  # a 7.0 lifecycle event
            frame = stream.wait_for(lambda f: "changed with the 7.0 CLI" in f.data, timeout=10)
            assert frame.event == f"member-{name}" and time.monotonic() - started < 5
    finally:
        edit_member(cluster7, name, description=before)


def test_the_configuration_page_lists_incus_7s_own_keys(cluster7, dashboard7):
    metadata = cluster7.query("/1.0/metadata/configuration")["configs"]["server"]
    described = [name for group in metadata.values() for entry in group["keys"] for name in entry]
    listed = re.findall(r'<tr id="key-([^"]+)"', dashboard7.get("/cluster").text)
    assert sorted(listed) == sorted(described) and len(listed) > 70
    # The extra rules the dashboard checks name keys Incus 7.0 still has.
    assert set(RULES) <= set(described)


def change_state(cluster7, dashboard7, name: str, body: dict, status: str) -> str:
    """POST the member's state through the API; the audit log's real outcome, once Incus shows
    `status` and the dashboard's operation list no longer holds the operation as running."""
    reply = dashboard7.admin.post(f"/api/v1/cluster/members/{name}/state", json=body)
    assert reply.status_code == 202, reply.text
    operation_id = reply.json()["metadata"]["id"]

    def outcome() -> str | None:
        trail = dashboard7.get("/audit.json", params={"target": name}).json()
        return next((r["outcome"] for r in trail if r["operation_id"] == operation_id
                     and r["outcome"] in ("succeeded", "failed")), None)

    result = wait_until(outcome, timeout=60)
    wait_until(lambda: cluster7.member_status(name) == status, timeout=60)

    def still_running() -> list[str]:
        listed = dashboard7.get("/api/v1/operations", params={"recursion": 1}).json()["metadata"]
        return [op["id"] for op in listed.get("running", [])]

    assert wait_until(lambda: operation_id not in still_running(), timeout=10)
    return str(result)


def test_an_evacuation_on_incus_7_reaches_its_real_outcome_through_7s_operation_events(cluster7, dashboard7):
    """mode=stop: nothing needs to start elsewhere (containers may not run on 7.0 here). Incus 7.0
    ends such an evacuation before the POST returns: the dashboard must not think it still runs."""
    name = "member3"
    try:
        evacuated = change_state(cluster7, dashboard7, name, {"action": "evacuate", "mode": "stop"}, "Evacuated")
        restored = change_state(cluster7, dashboard7, name, {"action": "restore"}, "Online")
    finally:
        if cluster7.member_status(name) != "Online":
            cluster7.incus("cluster", "restore", name, "--force")
    assert (evacuated, restored) == ("succeeded", "succeeded")


def test_group_configuration_is_edited_where_incus_has_clustering_groups_config(cluster7, dashboard7):
    """Incus 7.0 has `clustering_groups_config`: the groups page offers each group's keys, a save
    sets them as `incus cluster group set` would, and a change that does not name them (a
    member added) keeps them, where a PUT without `config` would clear them."""
    assert "clustering_groups_config" in cluster7.query("/1.0")["api_extensions"]
    group = lambda: cluster7.query("/1.0/cluster/groups/default")  # noqa: E731
    members = group()["members"]
    assert wait_until(lambda: 'name="config"' in dashboard7.get("/cluster/groups").text, timeout=30)
    post = {"description": "", "members": members, "config": "user.rack=r1\nuser.room = east\n"}
    try:
        reply = dashboard7.admin.post("/cluster/groups/default", data=post, headers={"HX-Request": "true"})
        assert reply.status_code == 200, reply.text
        assert group()["config"] == {"user.rack": "r1", "user.room": "east"}
        assert wait_until(lambda: "user.rack" in dashboard7.get("/cluster/groups").text, timeout=10)
        reply = dashboard7.admin.put("/api/v1/cluster/groups/default", json={"description": "kept", "members": members})
        assert reply.status_code == 200, reply.text
        assert group()["config"] == {"user.rack": "r1", "user.room": "east"} and group()["description"] == "kept"
        refused = {**post, "config": "instances.nosuch=1"}
        reply = dashboard7.admin.post("/cluster/groups/default", data=refused, headers={"HX-Request": "true"})
        assert reply.status_code == 422 and "Invalid cluster group configuration key" in reply.text
        assert "instances.nosuch=1" in reply.text  # the form again, with what was typed
    finally:
        cleared = {"description": "", "members": members, "config": {}}
        cluster7.incus("cluster", "group", "edit", "default", input=json.dumps(cleared))


