"""Several clusters in one dashboard, on real Incus side by side: the 6.0 test cluster, the
7.0 one (each on its own loopback subnet) and a standalone 6.0 server (on its unix socket).
One overview, one API listing them all, each one's pages and Incus-shaped API under its own
prefix, the single-cluster URLs still meaning the first, and the standalone server shown as
what it is."""

import html
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Dashboard, edit_member, wait_until
from tests.sse import Stream
from webui.auth import store

pytestmark = [pytest.mark.cluster, pytest.mark.lts7]

def test_the_api_lists_every_cluster(both, cluster, cluster7):
    listed = {c["name"]: c for c in both.get("/api/v1/clusters").json()["metadata"]}
    assert list(listed) == ["prod", "staging", "lab"]
    assert listed["prod"]["kind"] == listed["staging"]["kind"] == "cluster"
    assert listed["lab"]["kind"] == "standalone" and listed["lab"]["members"] == {"Online": 1}
    assert sum(listed["prod"]["members"].values()) == len(cluster.members)
    assert sum(listed["staging"]["members"].values()) == len(cluster7.members)
    assert [v.split(".")[:2] for v in listed["prod"]["versions"]] == [["6", "0"]]
    assert [v.split(".")[:2] for v in listed["staging"]["versions"]] == [["7", "0"]]
    assert [v.split(".")[:2] for v in listed["lab"]["versions"]] == [["6", "0"]]
    assert all(c["data_age_seconds"] is not None and c["data_age_seconds"] < 30 for c in listed.values())


def test_each_cluster_answers_under_its_own_prefix(both, cluster, cluster7):
    def urls(path: str) -> set[str]:
        return {m["url"] for m in both.get(path).json()["metadata"]}

    prod = {cluster.url(m) for m in cluster.members}
    staging = {cluster7.url(m) for m in cluster7.members}
    assert prod.isdisjoint(staging)  # both name their members member1, member2, ...
    assert urls("/api/v1/clusters/prod/cluster/members?recursion=1") == prod
    assert urls("/api/v1/clusters/staging/cluster/members?recursion=1") == staging
    assert urls("/api/v1/cluster/members?recursion=1") == prod  # the first cluster's, as before
    member = cluster7.members[0]
    page = both.get(f"/clusters/staging/members/{member}")
    assert page.status_code == 200 and cluster7.url(member) in page.text
    assert f"/clusters/staging/members/{member}" in both.get("/clusters/staging/").text  # links stay in the cluster


def test_the_overview_is_the_landing_page_with_a_card_per_cluster(both):
    page = both.get("/")
    assert page.status_code == 200
    cards = re.findall(r'<section class="cluster-card[^"]*" aria-labelledby="card-([^"]+)"', page.text)
    assert cards == ["prod", "staging", "lab"]
    assert "standalone server" in page.text
    assert 'href="/clusters/staging/"' in page.text
    for name in ("prod", "staging"):  # every page names its cluster, and offers the others
        title = re.search(r"<title>(.*?)</title>", both.get(f"/clusters/{name}/history").text, re.S)[1]
        assert html.unescape(title) == f"Cluster history · {name} · incus-webui"


def test_each_clusters_stream_carries_its_own_members(both, cluster7):
    page = both.get("/clusters/staging/").text
    stream_url = html.unescape(re.search(r'sse-connect="([^"]+)"', page)[1])
    assert stream_url.startswith("/clusters/staging/stream?")
    with both.admin.stream("GET", stream_url, headers={"Last-Event-ID": "stale"}, timeout=30) as stream:
        received = ""
        for chunk in stream.iter_text():
            received += chunk
            if "event: members" in received and "\n\n" in received.split("event: members", 1)[1]:
                break
    assert cluster7.url(cluster7.members[0]).split("//")[1].split(":")[0] in received


def test_a_standalone_server_is_one_server_without_the_cluster_only_pages_and_actions(both, standalone):
    table = both.get("/clusters/lab/").text
    names = re.findall(r'<tr id="member-([^"]+)"', table)
    assert len(names) == 1  # the server itself, named as Incus names it
    prod = both.get("/clusters/prod/").text
    for cluster_only in (">Groups</a>", ">Joining</a>", ">Upgrade</a>"):
        assert cluster_only in prod and cluster_only not in table  # absent, not disabled
    page = both.get(f"/clusters/lab/members/{names[0]}").text
    assert "Evacuate" not in page and "Remove" not in page
    assert "A standalone server" in page


# A stream of prod's pages, and the one stream of the wall of every cluster: its path, the
# event of its first refresh, and the event that carries a change to a member.
STREAMS = {
    "prod's members page": ("/clusters/prod/stream?topic=members", "members", "member-{}"),
    "the wall of all clusters": ("/stream/clusters?topic=wall", "wall-prod", "wall-prod-member-{}"),
}


def change_reaches_stream(both: Dashboard, cluster, name: str, text: str, via: str) -> float:
    """Seconds from `incus cluster edit` on prod to the member's fragment on an open stream."""
    path, ready, changed = STREAMS[via]
    with both.stream(path) as stream:
        stream.wait_for(lambda f: f.event == ready, timeout=10)  # the initial refresh
        started = time.monotonic()
        edit_member(cluster, name, description=text)
        stream.wait_for(lambda f: f.event == changed.format(name), timeout=10)
        return time.monotonic() - started


def test_a_frozen_cluster_never_delays_another(both, cluster, cluster7, restore_description):
    """Every member of staging frozen (SIGSTOP: its requests hang, nothing is refused): prod's
    changes still reach its streams as fast, the wall's stream of every cluster too, and prod's
    pages and the overview still answer."""
    before = {via: change_reaches_stream(both, cluster, restore_description, f"before {via}", via) for via in STREAMS}
    for member in cluster7.members:
        cluster7.freeze(member)
    try:
        time.sleep(3)  # a few of staging's poll rounds: its watcher now waits on Incus
        frozen = {
            via: change_reaches_stream(both, cluster, restore_description, f"frozen {via}", via) for via in STREAMS
        }
        started = time.monotonic()
        assert both.get("/clusters/prod/").status_code == 200 and both.get("/").status_code == 200
        assert both.get("/noc/clusters").status_code == 200
        answered = time.monotonic() - started
        # Staging's watcher is stuck on its requests (a resync a second, when it answers).
        staging = both.get("/api/v1/clusters").json()["metadata"][1]
        assert staging["name"] == "staging" and staging["data_age_seconds"] > 3, staging
    finally:
        for member in cluster7.members:
            cluster7.thaw(member)
    assert max(frozen.values()) < 3 and answered < 2, (before, frozen, answered)
    wait_until(lambda: both.get("/api/v1/clusters").json()["metadata"][1]["reachable"], timeout=60)


def test_the_overview_is_pushed_to_every_viewer_in_the_same_bytes(both):
    page = both.get("/").text
    assert "every 5s" not in page  # no polling
    stream_url = html.unescape(re.search(r'sse-connect="([^"]+)"', page)[1])
    assert stream_url.startswith("/stream/clusters?cluster=prod&cluster=staging&cluster=lab&topic=overview&v=")
    with both.stream("/stream/clusters?topic=overview") as one, both.stream("/stream/clusters?topic=overview") as two:
        for stream in (one, two):  # the refresh: every card, in order
            for name in ("prod", "staging", "lab"):
                stream.wait_for(lambda f, name=name: f.event == f"card-{name}", timeout=10)
        # The next change of prod (its data's age, on its next resync), rendered once for both.
        pushed = one.wait_for(lambda f: f.event == "card-prod", timeout=10)
        same = two.wait_for(lambda f: f.event == "card-prod" and f.id == pushed.id, timeout=10)
    assert same.data == pushed.data and 'aria-labelledby="card-prod"' in pushed.data
    assert {f.event for f in one.seen} <= {"card-prod", "card-staging", "card-lab"}  # no banner, no strip
    assert both.get("/stream/clusters?topic=overview&cluster=nowhere").status_code == 404
    assert both.get("/stream/clusters?topic=members:member1").status_code == 400  # one cluster's page


def test_a_display_made_for_one_cluster_sees_that_one_only(both):
    folder = Path(both.database_url.removeprefix("sqlite:///")).parent
    made = both.cli("display", "create", "staging-wall", "--cluster", "staging", "--config", str(folder / "webui.toml"))
    assert made.returncode == 0, made.stderr
    url = made.stdout.strip()
    assert "/noc/clusters?token=" in url
    token = url.split("token=")[1]
    with httpx.Client(base_url=both.url) as wall:
        page = wall.get("/noc/clusters", params={"token": token}, follow_redirects=True)
        assert page.status_code == 200 and str(page.url) == both.url + "/noc/clusters"
        assert 'id="wall-staging"' in page.text and 'id="wall-prod"' not in page.text
        assert 'sse-connect="/noc/clusters/stream?cluster=staging&amp;topic=wall&amp;v=' in page.text
        for refused in ("/noc", "/noc/stream?topic=noc", "/noc/clusters?cluster=prod",
                        "/noc/clusters/stream?cluster=staging&cluster=prod&topic=wall"):
            assert wall.get(refused).status_code == 403, refused
    with Stream(both.url + "/noc/clusters/stream?topic=wall", cookies={store.DISPLAY_COOKIE: token}) as stream:
        stream.wait_for(lambda f: f.event == "wall-staging-fresh", timeout=10)
    assert all(f.event.startswith("wall-staging") for f in stream.seen), {f.event for f in stream.seen}
    unknown = both.cli("display", "create", "no-wall", "--cluster", "nowhere", "--config", str(folder / "webui.toml"))
    assert unknown.returncode != 0 and "no cluster called nowhere" in unknown.stderr


def test_a_change_to_one_cluster_is_audited_as_that_clusters_and_the_chain_holds(both, cluster7):
    member = cluster7.members[1]
    def described(cluster: str) -> str:
        return both.get(f"/api/v1/clusters/{cluster}/cluster/members/{member}").json()["metadata"]["description"]

    before = described("staging")
    try:
        reply = both.admin.patch(f"/api/v1/clusters/staging/cluster/members/{member}", json={"description": "audited"})
        assert reply.status_code == 200, reply.text
        assert described("staging") == "audited" and described("prod") != "audited"
    finally:
        both.admin.patch(f"/api/v1/clusters/staging/cluster/members/{member}", json={"description": before})
    records = both.get("/audit.json", params={"cluster": "staging", "action": "edit"}).json()
    assert records and {r["cluster"] for r in records} == {"staging"} and {r["target"] for r in records} == {member}
    assert not both.get("/audit.json", params={"cluster": "prod", "action": "edit"}).json()
    logins = both.get("/audit.json", params={"action": "login"}).json()
    assert logins and {r["cluster"] for r in logins} == {""}  # the dashboard's own, about no cluster
    page = both.get("/audit", params={"cluster": "staging"}).text
    assert f"staging › {member}" in page
    assert "Chain verified" in page  # records with and without a cluster, one chain
