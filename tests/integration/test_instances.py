"""The Instances page against the real cluster: every instance, where it sits, and what an
evacuation or healing of its member would do to it (the dev cluster's containers sit on the
local `dir` pool: evacuation copies them, healing cannot move them)."""

import html
import re

import pytest

from tests.conftest import PERSONAS

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def rows(page: str) -> dict[str, str]:
    """Each instance's row, by project and name (its id), as text."""
    found = re.findall(r'<tr id="instance-([^"]+)">(.*?)</tr>', page, re.S)
    return {key: html.unescape(re.sub(r"<[^>]+>", " ", body)) for key, body in found}


def test_every_instance_is_listed_with_its_member_and_what_would_happen_to_it(cluster, dashboard):
    instances = cluster.instances()
    assert len(instances) >= 3, instances  # the dev cluster's own containers, one per member
    listed = rows(dashboard.get("/instances").text)
    for instance in instances:
        row = " ".join(listed[f"{instance['project']}-{instance['name']}"].split())
        others = sorted(m for m in ("member1", "member2", "member3") if m != instance["location"])
        assert instance["location"] in row and instance["type"] in row
        assert "root disk on local (local: copied to move, lost with its member)" in row
        if instance["status"] == "Running":
            assert f"moved to {others[0]} or {others[1]} and started there" in row, row
        assert "stays on its dead member (its root disk is on the local pool “local”" in row, row
    assert "Remote storage pools: none" in dashboard.get("/instances").text


def test_filters_narrow_the_list(cluster, dashboard):
    on_member2 = {i["name"] for i in cluster.instances() if i["location"] == "member2"}
    assert on_member2
    listed = rows(dashboard.get("/instances", params={"member": "member2"}).text)
    assert {key.split("-", 1)[1] for key in listed} == on_member2
    assert rows(dashboard.get("/instances", params={"type": "virtual-machine"}).text) == {}
    assert rows(dashboard.get("/instances", params={"project": "nosuch"}).text) == {}
    assert "No instances that match." in dashboard.get("/instances", params={"status": "Frozen"}).text


def test_the_member_page_links_to_its_instances(dashboard):
    page = dashboard.get("/members/member2").text
    assert 'href="/instances?member=member2"' in page


@pytest.mark.parametrize("role", list(PERSONAS))
def test_every_role_sees_the_page_and_its_nav_link(dashboard, role):
    page = dashboard.page_as(role, "/instances")
    assert '<a href="/instances">Instances</a>' in page and "<h1>Instances</h1>" in page
