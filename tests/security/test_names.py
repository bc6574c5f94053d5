"""Names from URLs reach no other Incus endpoint: `%2e%2e` as a member name once sent an
operator's `PUT` to `/1.0/cluster` (Incus read it as "disable clustering" and deleted the
member's cluster certificates), and an auditor's GET returned `/1.0/cluster` itself.

Every route that takes a name gets the hostile set, as every role, from a dashboard that talks
to the real cluster through a recorder (tests/recording_incus.py): Incus must receive nothing
but what the dashboard sends when nobody asks it anything (its watcher's reads)."""

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import PERSONAS, Dashboard
from tests.recording_incus import RecordingIncus
from tests.routes import walk_routes
from webui import db
from webui.app import create_app
from webui.settings import Settings

pytestmark = pytest.mark.cluster

# As they appear in the URL: the dashboard's server decodes them into the name.
HOSTILE = {
    "dot-dot": "%2e%2e",
    "dot-dot upper": "%2E%2E",
    "dot": "%2e",
    "slash": "a%2fb",
    "slash, raw": "a/b",
    "dot-dot slash": "%2e%2e%2f1.0",
    "NUL": "a%00b",
    "newline": "member1%0a",
    "64 KB": "a" * (65536 - 200),  # the longest URL httpx sends, less the route around it
    "Cyrillic e": "m%D0%B5mber1",
    "fullwidth 1": "member%EF%BC%91",
}


@pytest.fixture(scope="module")
def recorded(cluster, tmp_path_factory) -> Iterator[tuple[Dashboard, RecordingIncus]]:
    folder = tmp_path_factory.mktemp("names")
    upstream = cluster.incus_dir("member1") / "unix.socket"
    with RecordingIncus(upstream, folder / "incus.socket") as incus:
        server = Dashboard(
            cluster.settings_file,
            folder / "webui.db",
            INCUS_WEBUI_ADDRESSES="[]",
            INCUS_WEBUI_SOCKET=str(incus.socket),
        )
        try:
            yield server, incus
        finally:
            server.stop()


def routes_with_a_name(cluster, tmp_path_factory) -> list[tuple[str, str, str]]:
    """(name, method, path template) of every route whose path takes a parameter."""
    url = f"sqlite:///{tmp_path_factory.mktemp('routes') / 'w.db'}"
    db.upgrade(url)
    app = create_app(Settings(database_url=url, addresses=[cluster.url("member1")], server_cert=cluster.cluster_cert))
    found = [
        (route.name or "", method, route.path)
        for route in walk_routes(app)
        if "{" in route.path and route.kind == "api"
        for method in sorted(route.methods - {"HEAD"})
    ]
    return found


def _fill(template: str, value: str) -> str:
    return re.sub(r"\{[a-z_]+\}", lambda _: value, template)


def _background(incus: RecordingIncus, seconds: float = 4) -> set[tuple[str, str]]:
    """What the dashboard asks Incus when nobody asks it anything (its watcher)."""
    mark = len(incus.requests)
    time.sleep(seconds)
    return {(r.method, r.path) for r in incus.since(mark)}


def test_hostile_names_reach_no_other_endpoint(recorded, cluster, tmp_path_factory):
    dashboard, incus = recorded
    routes = routes_with_a_name(cluster, tmp_path_factory)
    # 33 routes take a name on 2026-12-07 (member, group, operation, warning, token, display, export).
    assert len(routes) >= 33, routes
    parameters = {p for _, _, t in routes for p in re.findall(r"\{([a-z_]+)\}", t)}
    assert parameters >= {"name", "group", "operation_id", "uuid", "token_id", "display_id", "fmt"}, parameters
    quiet = _background(incus)
    assert ("GET", "/1.0/cluster/members") in quiet, quiet  # the recorder sees the watcher
    mark = len(incus.requests)
    answers: list[tuple[str, str, str, str, int]] = []
    for role in PERSONAS:
        client = dashboard.login(role)
        try:
            for what, raw in HOSTILE.items():
                for route, method, template in routes:
                    kwargs = {"json": {}} if template.startswith("/api/") else {"data": {"confirm": "x"}}
                    try:
                        reply = client.request(
                            method, _fill(template, raw), headers={"HX-Request": "true"},
                            **(kwargs if method != "GET" else {}),
                        )
                        status = reply.status_code
                    except httpx.RemoteProtocolError:
                        status = 400  # the server closed a request line it would not read
                    answers.append((role, what, route, method, status))
        finally:
            client.close()
    served = [a for a in answers if a[4] < 400 or a[4] >= 500]
    assert not served, f"hostile names served or crashed: {served[:10]}"
    edge = ("dot-dot", "dot-dot upper", "dot", "NUL", "newline", "64 KB", "Cyrillic e", "fullwidth 1")
    refused_early = [a for a in answers if a[1] in edge and a[4] != 400]
    assert not refused_early, f"not refused at the edge (400): {refused_early[:10]}"
    allowed = quiet
    # The watcher's reads of real operations, members, instances and warnings, whenever they come.
    watched = re.compile(
        r"^/1\.0/(operations/[0-9a-f-]{36}|cluster/members/member\d+(/state)?|instances/c\d+(/state)?|warnings)$"
    )
    unexpected = [
        r
        for r in incus.since(mark)
        if (r.method, r.path) not in allowed and not (r.method == "GET" and watched.match(r.path))
    ]
    assert not unexpected, f"Incus was asked what nobody meant: {unexpected[:10]}"


def test_the_member_the_dashboard_talks_to_is_still_clustered(recorded, cluster):
    """After the sweep (it runs first, in this module): had any request reached `PUT /1.0/cluster`,
    member1 would have left the cluster and lost its cluster certificate."""
    assert cluster.query("/1.0/cluster", member="member1")["enabled"] is True
    assert (cluster.incus_dir("member1") / "cluster.crt").exists()
    statuses = {m["server_name"]: m["status"] for m in cluster.cluster_members(via="member1")}
    assert set(statuses) >= {"member1", "member2", "member3"}, statuses


# The routes that take words in their query, not their path: the instance filters (compared
# with what the snapshot holds) and the rebalancing section (which takes none).
QUERIED = {"/instances": ("member", "project", "status", "type"), "/cluster/rebalancing": ("target",)}
HOSTILE_WORDS = {**HOSTILE, "markup": "%3Cscript%3Ealert(1)%3C/script%3E", "quote": "%22%3E%3Cb%3E"}


def test_hostile_filters_reach_no_other_endpoint(recorded):
    dashboard, incus = recorded
    mark = len(incus.requests)
    answers = []
    for role in PERSONAS:
        client = dashboard.login(role)
        try:
            for what, raw in HOSTILE_WORDS.items():
                for path, parameters in QUERIED.items():
                    for parameter in parameters:
                        reply = client.get(f"{path}?{parameter}={raw[:4000]}", headers={"HX-Request": "true"})
                        answers.append((role, what, path, parameter, reply.status_code))
                        assert "<script>alert" not in reply.text and '"><b>' not in reply.text, (role, what, path)
        finally:
            client.close()
    assert len(answers) == len(PERSONAS) * len(HOSTILE_WORDS) * 5
    crashed = [a for a in answers if a[4] not in (200, 400)]  # 400: too long for a filter
    assert not crashed, f"hostile filters crashed or were refused oddly: {crashed[:10]}"
    # What the two routes ask Incus for (the pools, each member's resources), and the watcher's
    # reads meanwhile, and nothing else.
    asked = {(r.method, r.path) for r in incus.since(mark)}
    watcher = (
        r"cluster/members.*|cluster/groups.*|certificates|metadata/configuration|operations.*|instances.*|events"
        r"|warnings"
    )
    meant = re.compile(rf"^/1\.0(/(storage-pools|resources|{watcher}))?$")
    unexpected = [r for r in asked if not (r[0] in ("GET", "WEBSOCKET") and meant.match(r[1]))]
    assert not unexpected, unexpected
    resources = {r.query for r in incus.since(mark) if r.path == "/1.0/resources"}
    assert resources <= {"target=member1", "target=member2", "target=member3"}, resources
