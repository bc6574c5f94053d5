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

from tests.conftest import PASSWORD, Dashboard, edit_member, wait_until
from tests.routes import REQUESTS, under
from tests.sse import HEARTBEAT, Stream, open_stream, seconds_until_it_ends
from webui import db
from webui.auth import store
from webui.auth.roles import DASHBOARD_ROUTES, EVERY, ROUTE_PERMISSIONS, can
from webui.identity import Grants

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
        # Its cluster's own NOC URL leads to the wall, where the display's cookie is sent.
        landed = wall.get("/clusters/staging/noc", params={"token": token}, follow_redirects=True)
        assert str(landed.url) == both.url + "/noc/clusters?cluster=staging" and 'id="wall-staging"' in landed.text
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


# Accounts whose roles differ per cluster: (role in all, {cluster: its own}). Across them,
# prod and staging each see every role and "none" once.
GRANTS = {
    "ann": ("operator", {"prod": "admin"}),  # prod admin, staging operator
    "ben": ("auditor", {"prod": "operator"}),  # prod operator, staging auditor
    "cat": ("none", {"prod": "auditor"}),  # prod auditor, nothing in staging (nor lab)
    "dan": ("none", {"staging": "admin"}),  # admin of staging only
}


@pytest.fixture(scope="module")
def granted(both) -> dict[str, Grants]:
    """The accounts of GRANTS, given their roles with `incus-webui user grant` for one of them
    (the CLI's own test) and through the store for the rest."""
    engine = db.make_engine(both.database_url)
    try:
        for name, (everywhere, own) in GRANTS.items():
            store.add_user(engine, name, "auditor", PASSWORD)
            store.grant(engine, name, everywhere)
            for cluster, role in own.items():
                store.grant(engine, name, role, cluster)
        return {name: store.grants_of(engine, name) for name in GRANTS}
    finally:
        engine.dispose()


def allowed(route: str, grants: Grants, cluster: str) -> bool:
    """What the role table says `grants` may do with `route` in `cluster`."""
    permission = ROUTE_PERMISSIONS[route]
    rule = DASHBOARD_ROUTES.get(route)
    if rule is None:
        return can(grants.role_in(cluster), permission)
    held = [can(role, permission) for role in grants.roles()]
    return all(held) if rule == EVERY else any(held)


@pytest.mark.parametrize("name", GRANTS)
def test_every_route_for_an_account_with_a_role_per_cluster(both, granted, name):
    client = both.login_as(name)
    try:
        for cluster in ("prod", "staging"):
            for route, (method, path, kwargs) in REQUESTS.items():
                reply = client.request(method, under(cluster, path), headers={"HX-Request": "true"}, **(kwargs or {}))
                where = (name, cluster, route, reply.status_code, reply.text[:200])
                if allowed(route, granted[name], cluster):
                    assert reply.status_code not in (401, 403, 500), where
                else:
                    assert reply.status_code == 403, where
    finally:
        client.close()


def test_the_overview_and_the_cluster_bar_show_only_the_clusters_with_a_role(both, granted):
    for name, shown in (("ann", ["prod", "staging", "lab"]), ("cat", ["prod"]), ("dan", ["staging"])):
        client = both.login_as(name)
        try:
            listed = [c["name"] for c in client.get("/api/v1/clusters").json()["metadata"]]
            page = client.get("/").text
            cards = re.findall(r'aria-labelledby="card-([^"]+)"', page)
            bar = re.findall(r'<a href="/clusters/([^/"]+)/"', page.split('class="cluster-bar"')[1].split("</nav>")[0])
            assert listed == cards == bar == shown, (name, listed, cards, bar)
            assert client.get("/clusters/staging/").status_code == (200 if "staging" in shown else 403)
            # The pages and streams of several clusters refuse a cluster without a role.
            for path in ("/noc/clusters?cluster=staging", "/stream/clusters?cluster=staging&topic=overview"):
                if "staging" not in shown:
                    assert client.get(path).status_code == 403, (name, path)
        finally:
            client.close()


def test_the_audit_log_and_its_exports_hold_only_the_clusters_whose_audit_the_role_reads(both, granted):
    ann = both.login_as("ann")  # admin of prod: its refused edit is a record about prod
    try:
        assert ann.post("/clusters/prod/members/nosuch/edit", data={}).status_code != 403
    finally:
        ann.close()
    assert {r["cluster"] for r in both.get("/audit.json").json()} >= {"", "prod", "staging"}
    ben = both.login_as("ben")  # auditor of staging and lab (and of the dashboard's own), operator of prod
    try:
        for path in ("/audit.json", "/clusters/staging/audit.json", "/clusters/prod/audit.json"):
            records = ben.get(path).json()
            assert records and "prod" not in {r["cluster"] for r in records}, path
        assert not ben.get("/audit.json", params={"cluster": "prod"}).json()
        page = ben.get("/clusters/staging/audit").text
        assert "<option>prod</option>" not in page and "<option>staging</option>" in page
        assert "new ones appear live only" in page  # live rows go to every audit page: not to his
        live = both.url + "/clusters/staging/stream?topic=audit&topic=members&v=0"
        with open_stream(live, both.cookies) as every, open_stream(live, dict(ben.cookies)) as his:
            both.login("operator").close()  # a record about no cluster: a login
            every.wait_for(lambda f: f.event == "audit", timeout=10)
            with pytest.raises(TimeoutError):  # asked for anyway: not given
                his.wait_for(lambda f: f.event == "audit", timeout=2)
    finally:
        ben.close()
    cat = both.login_as("cat")  # auditor of prod only: not of the dashboard's own records
    try:
        assert {r["cluster"] for r in cat.get("/audit.json").json()} == {"prod"}
    finally:
        cat.close()


def test_a_stream_ends_when_the_role_it_was_opened_with_changes(both, granted):
    dan = both.login_as("dan")
    engine = db.make_engine(both.database_url)
    try:
        assert dan.get("/clusters/prod/stream?topic=members").status_code == 403
        with open_stream(both.url + "/clusters/staging/stream?topic=members&v=0", dict(dan.cookies)) as stream:
            store.grant(engine, "dan", "auditor", "staging")
            assert seconds_until_it_ends(stream) < 2 * HEARTBEAT + 1
        with open_stream(both.url + "/clusters/staging/stream?topic=members&v=0", dict(dan.cookies)) as stream:
            store.ungrant(engine, "dan", "staging")  # back to his role in all: none
            assert seconds_until_it_ends(stream) < 2 * HEARTBEAT + 1
        assert dan.get("/clusters/staging/").status_code == 403
    finally:
        store.grant(engine, "dan", "admin", "staging")
        engine.dispose()
        dan.close()


def test_user_grant_is_recorded_and_refuses_a_cluster_the_settings_do_not_hold(both, granted):
    config = ("--config", str(both.log_file.with_name("webui.toml")))  # the `both` fixture's settings
    unknown = both.cli("user", "grant", "ben", "admin", "--cluster", "nosuch", *config)
    assert unknown.returncode != 0
    assert "no cluster 'nosuch' in the settings (they hold prod, staging, lab)" in unknown.stderr
    done = both.cli("user", "grant", "ben", "none", "--cluster", "lab", *config)
    assert done.returncode == 0, done.stderr
    assert "ben: auditor; lab: none, prod: operator" in done.stdout
    listed = both.cli("user", "list", *config).stdout
    assert "ben\tauditor; lab: none, prod: operator\tactive" in listed
    assert both.cli("user", "ungrant", "ben", "--cluster", "lab", *config).returncode == 0
    [record] = [r for r in both.get("/audit.json", params={"action": "grant-role", "target": "ben"}).json()
                if r["outcome"] == "succeeded"]
    assert record["parameters"] == {
        "cluster": "lab", "role": "none", "previous": "auditor; prod: operator",
        "roles": "auditor; lab: none, prod: operator",
    }
    assert both.get("/audit.json", params={"action": "ungrant-role", "target": "ben", "outcome": "succeeded"}).json()
    settings = both.get("/settings").text
    assert "<td>ben</td><td>operator in prod, auditor elsewhere</td>" in settings
    assert "<td>dan</td><td>admin in staging, no access elsewhere</td>" in settings
