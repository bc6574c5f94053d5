"""Cluster groups against the real cluster: each step checked with `incus cluster group list`."""

import json

import pytest

from tests.conftest import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def incus_groups(cluster) -> dict[str, dict]:
    found = json.loads(cluster.incus("cluster", "group", "list", "--format", "json").stdout)
    return {g["name"]: g for g in found}


@pytest.fixture
def cleanup(cluster):
    """Deletes the test's groups from Incus whatever happened."""
    names: list[str] = []
    yield names
    for name in names:
        group = incus_groups(cluster).get(name)
        if group is not None:
            for member in group["members"]:
                cluster.incus("cluster", "group", "remove", member, name)
            cluster.incus("cluster", "group", "delete", name)


def test_a_group_is_created_given_members_renamed_and_deleted(cluster, session, cleanup):
    cleanup += ["webui-gpu", "webui-fast"]
    data = {"name": "webui-gpu", "description": "Has a GPU", "members": ["member2"]}
    reply = session.post("/cluster/groups", data=data)
    assert reply.status_code == 200, reply.text
    assert incus_groups(cluster)["webui-gpu"]["members"] == ["member2"]
    assert incus_groups(cluster)["webui-gpu"]["description"] == "Has a GPU"
    assert 'id="group-webui-gpu"' in reply.text and "Has a GPU" in reply.text

    reply = session.post("/cluster/groups/webui-gpu/members", data={"add": "member3"})
    assert reply.status_code == 200, reply.text
    assert sorted(incus_groups(cluster)["webui-gpu"]["members"]) == ["member2", "member3"]

    reply = session.post("/cluster/groups/webui-gpu/rename", data={"new_name": "webui-fast"})
    assert reply.status_code == 200, reply.text
    groups = incus_groups(cluster)
    assert "webui-gpu" not in groups and sorted(groups["webui-fast"]["members"]) == ["member2", "member3"]

    reply = session.post("/cluster/groups/webui-fast", data={"description": "Fast", "members": []})
    assert reply.status_code == 200, reply.text
    assert incus_groups(cluster)["webui-fast"]["members"] == []

    reply = session.post("/cluster/groups/webui-fast/delete", data={})
    assert reply.status_code == 200, reply.text
    assert "webui-fast" not in incus_groups(cluster)
    assert 'id="group-webui-fast"' not in reply.text


def test_the_default_group_is_never_renamed_or_deleted(cluster, session):
    reply = session.post("/cluster/groups/default/delete", data={})
    assert reply.status_code == 422 and "cannot be deleted" in reply.text
    assert session.api("DELETE", "/cluster/groups/default").status_code == 403
    assert "default" in incus_groups(cluster)


def test_a_refusal_keeps_what_was_typed(cluster, session):
    reply = session.post("/cluster/groups", data={"name": "bad name/", "description": "typed"})
    assert reply.status_code == 422
    assert 'value="bad name/"' in reply.text and 'value="typed"' in reply.text
    assert "bad name/" not in incus_groups(cluster)


def test_the_api_answers_in_incus_shapes(cluster, session, cleanup):
    cleanup.append("webui-api")
    listed = session.api("GET", "/cluster/groups").json()
    assert listed["metadata"] == [f"/api/v1/cluster/groups/{name}" for name in sorted(incus_groups(cluster))]
    body = {"name": "webui-api", "description": "d", "members": ["member1"]}
    reply = session.api("POST", "/cluster/groups", json=body)
    assert reply.status_code == 200, reply.text
    shown = session.api("GET", "/cluster/groups/webui-api").json()["metadata"]
    assert shown == cluster.query("/1.0/cluster/groups/webui-api")
    assert session.api("PUT", "/cluster/groups/webui-api", json={"description": "e", "members": []}).status_code == 200
    assert session.api("POST", "/cluster/groups/webui-api", json={"name": "webui-api2"}).status_code == 200
    cleanup.append("webui-api2")
    assert "webui-api2" in incus_groups(cluster)
    assert session.api("DELETE", "/cluster/groups/webui-api2").status_code == 200
    assert "webui-api2" not in incus_groups(cluster)


def test_groups_filter_the_member_table_and_show_on_the_member_page(cluster, session, dashboard, cleanup):
    cleanup.append("webui-filter")
    cluster.incus("cluster", "group", "create", "webui-filter")
    cluster.incus("cluster", "group", "assign", "member2", "default,webui-filter")
    # The member list and the group list are refreshed on their own rounds: wait for both.
    wait_until(lambda: "webui-filter" in dashboard.get("/api/v1/cluster/groups").text, timeout=20)
    def filtered() -> str:
        page = dashboard.get("/", params={"group": "webui-filter"}).text
        return page if 'data-groups="default webui-filter"' in page else ""

    page = wait_until(filtered, timeout=20)
    assert '<tr id="member-member2" sse-swap' in page  # in the group: shown
    assert '<tr id="member-member1" hidden sse-swap' in page
    assert 'id="member-filter"' in page and 'value="group:webui-filter"' in page  # the filter box says why
    member_page = wait_until(lambda: "?group=webui-filter" in dashboard.get("/members/member2").text, timeout=20)
    assert member_page


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_only_admins_get_group_forms(dashboard, role):
    page = dashboard.page_as(role, "/cluster/groups")
    assert 'id="group-default"' in page and "Default cluster group" in page
    assert "<form" not in page.split('<div id="groups">')[1] and "<button" not in page.split('<div id="groups">')[1]
