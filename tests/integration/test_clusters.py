"""Several clusters in one dashboard, on real Incus side by side: the 6.0 test cluster, the
7.0 one (each on its own loopback subnet) and a standalone 6.0 server (on its unix socket).
One overview, one API listing them all, each one's pages and Incus-shaped API under its own
prefix, the single-cluster URLs still meaning the first, and the standalone server shown as
what it is."""

import html
import os
import re
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import devcluster
from devcluster import daemons
from tests.conftest import STATE_DIR, Dashboard, edit_member, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.lts7]

REACH = ("addresses", "client_cert", "client_key", "server_cert")


def clusters_toml(named: dict[str, Path]) -> str:
    """A settings file holding each dev cluster's way in (its own webui.toml's) by name."""
    tables = []
    for name, settings_file in named.items():
        own = tomllib.loads(settings_file.read_text())
        lines = [f'name = "{name}"'] + [f"{key} = {own[key]!r}".replace("'", '"') for key in REACH]
        tables.append("[[clusters]]\n" + "\n".join(lines))
    return "\n\n".join(tables) + "\n"


@pytest.fixture(scope="module")
def standalone() -> Iterator[Path]:
    """An Incus 6.0 server never clustered: its unix socket. Stopped and purged at the end."""
    state = STATE_DIR.with_name(f"{STATE_DIR.name}-standalone")
    devcluster.down(state, purge=True)
    incus_dir = state / "member1"  # where devcluster.down finds (and stops) it
    daemons.launch(incus_dir)
    try:
        daemons.wait_ready("standalone", incus_dir, {**os.environ, "INCUS_DIR": str(incus_dir)}, 60)
        yield incus_dir / "unix.socket"
    finally:
        devcluster.down(state, purge=True)


@pytest.fixture(scope="module")
def both(cluster, cluster7, standalone, tmp_path_factory) -> Iterator[Dashboard]:
    folder = tmp_path_factory.mktemp("clusters")
    settings = folder / "webui.toml"
    settings.write_text(
        clusters_toml({"prod": cluster.settings_file, "staging": cluster7.settings_file})
        + f'\n[[clusters]]\nname = "lab"\nsocket = "{standalone}"\n'
    )
    server = Dashboard(settings, folder / "webui.db")
    # Members come with the first round, versions with the slow one (each member's /1.0).
    listed = lambda: server.get("/api/v1/clusters").json()["metadata"]  # noqa: E731
    wait_until(lambda: all(c["reachable"] and c["members"] and c["versions"] for c in listed()), timeout=60)
    yield server
    server.stop()


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


def test_metrics_carry_each_clusters_figures_under_its_name(both, cluster, cluster7):
    names = ("prod", "staging", "lab")
    online = {name: both.metric("incus_webui_cluster_members", cluster=name, status="online") for name in names}
    assert online == {"prod": len(cluster.members), "staging": len(cluster7.members), "lab": 1}
    for name in names:
        assert both.metric("incus_webui_upstream_request_duration_seconds_count", cluster=name) >= 1
        assert both.metric("incus_webui_incus_reachable", cluster=name) == 1


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


def change_reaches_stream(both: Dashboard, cluster, name: str, text: str) -> float:
    """Seconds from `incus cluster edit` on prod to the row on prod's open stream."""
    with both.stream("/clusters/prod/stream?topic=members") as stream:
        stream.wait_for(lambda f: f.event == "members", timeout=10)  # the initial refresh
        started = time.monotonic()
        edit_member(cluster, name, description=text)
        stream.wait_for(lambda f: f.event == f"member-{name}" and text in f.data, timeout=10)
        return time.monotonic() - started


def test_a_frozen_cluster_never_delays_another(both, cluster, cluster7, restore_description):
    """Every member of staging frozen (SIGSTOP: its requests hang, nothing is refused): prod's
    changes still reach its streams as fast, and prod's pages and the overview still answer."""
    before = change_reaches_stream(both, cluster, restore_description, "before the freeze")
    for member in cluster7.members:
        cluster7.freeze(member)
    try:
        time.sleep(3)  # a few of staging's poll rounds: its watcher now waits on Incus
        frozen = change_reaches_stream(both, cluster, restore_description, "while staging is frozen")
        started = time.monotonic()
        assert both.get("/clusters/prod/").status_code == 200 and both.get("/").status_code == 200
        answered = time.monotonic() - started
        # Staging's watcher is stuck on its requests (a resync a second, when it answers).
        staging = both.get("/api/v1/clusters").json()["metadata"][1]
        assert staging["name"] == "staging" and staging["data_age_seconds"] > 3, staging
    finally:
        for member in cluster7.members:
            cluster7.thaw(member)
    assert frozen < 3 and answered < 2, (before, frozen, answered)
    wait_until(lambda: both.get("/api/v1/clusters").json()["metadata"][1]["reachable"], timeout=60)


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
