"""The member table and member pages, against the real cluster."""

import json
import re

import pytest

from tests.conftest import edit_member, wait_until

pytestmark = pytest.mark.cluster


def cli_members(cluster) -> list[dict]:
    return json.loads(cluster.incus("cluster", "list", "--format", "json").stdout)


def test_the_table_lists_exactly_the_members_incus_lists(cluster, dashboard):
    page = dashboard.get("/").text
    shown = re.findall(r'<tr id="member-([^"]+)"', page)
    assert shown == sorted(m["server_name"] for m in cli_members(cluster))


def test_the_table_has_the_columns_of_incus_cluster_list_then_versions_and_figures(dashboard):
    page = dashboard.get("/").text
    headers = re.findall(r'<th scope="col" class="col-(\w)">(?:<button[^>]*>)?([A-Z ,]+)<', page)
    assert headers == [
        ("n", "NAME"), ("u", "URL"), ("r", "ROLES"), ("a", "ARCHITECTURE"), ("f", "FAILURE DOMAIN"),
        ("d", "DESCRIPTION"), ("s", "STATUS"), ("m", "MESSAGE"),  # `incus cluster list -c nurafdsm`
        ("v", "INCUS"), ("g", "GROUPS"), ("i", "INSTANCES"), ("c", "CPU LOAD"), ("M", "MEMORY"),
        ("h", "LOAD, LAST HOUR"),
    ]


def test_each_row_says_which_incus_version_the_member_runs(cluster, dashboard, server_fetched):
    versions = {m: cluster.query("/1.0", member=m)["environment"]["server_version"] for m in cluster.members}

    def shown():
        page = dashboard.get("/").text
        found = dict(re.findall(r'<tr id="member-([^"]+)".*?<td class="col-v version">([^<]*)</td>', page, re.S))
        return found if found == versions else None

    assert wait_until(shown, timeout=30)


def test_the_leader_and_the_member_in_use_are_marked(cluster, dashboard):
    leader = next(m["server_name"] for m in cli_members(cluster) if "database-leader" in m["roles"])
    page = dashboard.get("/").text
    row = re.search(rf'<tr id="member-{leader}".*?</tr>', page, re.S).group(0)
    assert "mark-leader" in row
    in_use = dashboard.wait_healthy()["member"]
    row = re.search(rf'<tr id="member-{in_use}".*?</tr>', page, re.S).group(0)
    assert "mark-connected" in row


def test_statuses_are_shown_with_text_and_colour(dashboard):
    assert re.search(r'<span class="status status-online"[^>]*>ONLINE</span>', dashboard.get("/").text)


def test_a_description_holding_html_is_shown_as_text(cluster, dashboard, restore_description):
    name = restore_description
    edit_member(cluster, name, description='<script>alert("x")</script><b>bold</b>')
    page = wait_until(lambda: next((t for t in [dashboard.get("/").text] if "&lt;script&gt;" in t), None), timeout=10)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>alert" not in page


def test_the_member_page_shows_show_and_info(cluster, dashboard):
    member = cli_members(cluster)[1]
    name = member["server_name"]
    page = dashboard.get(f"/members/{name}").text
    assert member["url"] in page
    for label in ("Uptime", "Load averages", "Processes", "CPUs", "Memory", "Storage pools", "Groups"):
        assert label in page
    assert 'class="usage-label">local<' in page  # the storage pool's usage bar


def test_the_member_page_lists_the_instances_on_that_member(cluster, dashboard):
    instances = json.loads(cluster.incus("list", "--format", "json").stdout)
    by_member: dict[str, list[str]] = {}
    for instance in instances:
        by_member.setdefault(instance["location"], []).append(instance["name"])
    name, names = next(iter(sorted(by_member.items())))
    page = dashboard.get(f"/members/{name}").text
    listed = re.findall(r"<tr><td>([^<]+)</td><td>default</td>", page)
    assert sorted(listed) == sorted(names)


def test_an_unknown_member_is_a_404_page(dashboard):
    reply = dashboard.get("/members/no-such-member")
    assert reply.status_code == 404
    assert "not in the cluster" in reply.text
