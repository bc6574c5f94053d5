"""Each member's hardware against the real cluster: the section says what `incus info
--resources --target NAME` says, is read from Incus once and kept, and read again on Refresh."""

import re

import pytest

from tests.conftest import wait_until
from webui.filters import size

pytestmark = pytest.mark.cluster
READ_AT = re.compile(r'as Incus read it <time datetime="([^"]+)"')


def section(client, name: str, method: str = "GET"):
    return client.request(method, f"/members/{name}/hardware", headers={"HX-Request": "true"})


def test_the_section_shows_what_incus_says_of_the_member(cluster, dashboard):
    wait_until(lambda: dashboard.get("/members/member2").status_code == 200, timeout=30)
    theirs = cluster.query("/1.0/resources?target=member2")
    reply = section(dashboard.admin, "member2")
    assert reply.status_code == 200, reply.text
    html = reply.text
    sockets = theirs["cpu"]["sockets"]
    for socket in sockets:
        assert socket["name"] in html and f"Socket {socket['socket']}" in html
    cores = sum(len(s["cores"]) for s in sockets)
    threads = sum(len(c["threads"]) for s in sockets for c in s["cores"])
    assert f"{cores} core" in html and f"{threads} thread" in html
    assert f"/ {size(theirs['memory']['total'])}" in html  # the memory bar, in GiB
    for card in theirs["network"]["cards"]:
        for port in card["ports"]:
            assert f'<th scope="row">{port["id"]}</th>' in html and port["address"] in html
    for disk in theirs["storage"]["disks"]:
        assert f'<th scope="row">{disk["id"]}</th>' in html and size(disk["size"]) in html
    assert f"PCI devices <span class=\"hint\">({len(theirs['pci']['devices'])})" in html
    assert "{'" not in html and '{"' not in html  # no raw dict


def test_it_is_read_once_then_on_refresh_only(dashboard):
    first = READ_AT.search(section(dashboard.admin, "member3").text)
    assert first is not None
    page = dashboard.get("/members/member3").text
    assert 'hx-get="/members/member3/hardware"' in page and "as Incus read it" not in page  # not per page
    again = READ_AT.search(section(dashboard.admin, "member3").text)
    assert again is not None and again[1] == first[1]  # kept
    auditor = dashboard.login("auditor")
    try:
        refreshed = section(auditor, "member3", "POST")  # a read of Incus: every role may ask it
        assert refreshed.status_code == 200, refreshed.text
        newer = READ_AT.search(refreshed.text)
        assert newer is not None and newer[1] > first[1]
    finally:
        auditor.close()


def test_a_member_not_in_the_cluster_is_not_asked_for(dashboard):
    reply = section(dashboard.admin, "nosuch")
    assert reply.status_code == 404 and "Cluster member not found" in reply.text
