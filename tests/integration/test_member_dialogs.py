"""Member actions against the real cluster: evacuate, restore, remove, force-remove, roles, edit."""

import json
import re
import time

import httpx
import pytest

from devcluster.formation import STOP_TIMEOUT
from tests.conftest import edit_member, incus_member, known_member, wait_until
from tests.integration.conftest import Session

pytestmark = pytest.mark.cluster


def locations(cluster) -> dict[str, str]:
    return {i["name"]: i["location"] for i in json.loads(cluster.incus("list", "--format", "json").stdout)}


def dashboard_status(dashboard, name: str) -> str:
    return known_member(dashboard, name).get("status", "gone")


def open_edit_form(session: Session, name: str) -> tuple[str, str]:
    """The ETag and original values the edit dialog carries in its hidden fields."""
    dialog = session.client.get(f"/members/{name}/edit").text
    etag = dialog.split('name="etag" value="')[1].split('"')[0].replace("&#34;", '"')
    original = dialog.split('name="original" value="')[1].split('"')[0].replace("&#34;", '"')
    return etag, original


def wait_for_operation(session: Session, operation_url: str, timeout: float = 120) -> dict:
    def finished():
        op = session.client.get(operation_url).json()["metadata"]
        return op if op["status"] in ("Success", "Failure", "Cancelled") else None

    return wait_until(finished, timeout)


def test_a_mutating_request_without_the_csrf_token_is_refused(dashboard):
    # From the dashboard's own origin (as a page would send it), but without the token.
    reply = httpx.post(
        dashboard.url + "/members/member2/evacuate",
        data={"mode": "stop"},
        cookies=dashboard.cookies,
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert reply.status_code == 403
    assert "CSRF" in reply.text
    assert dashboard_status(dashboard, "member2") == "Online"


def test_opening_a_dialog_changes_nothing(dashboard):
    reply = dashboard.get("/members/member2/evacuate")
    assert reply.status_code == 200 and "Evacuate member2" in reply.text
    assert dashboard_status(dashboard, "member2") == "Online"


def test_the_evacuate_dialog_lists_what_will_happen(cluster, dashboard):
    on_member = sorted(n for n, loc in locations(cluster).items() if loc == "member2")
    assert on_member, "the demo cluster has containers on member2"
    page = dashboard.get("/members/member2/evacuate", params={"mode": "stop"}).text
    for name in on_member:
        assert f"<td>{name}</td>" in page
    assert "stays here, stopped" in page
    # Each instance's own timeout (the demo profile sets it), then what member2's vote means.
    assert f"shut down cleanly, killed after {STOP_TIMEOUT} s (boot.host_shutdown_timeout)" in page
    assert "member2 is one of the 3 database voters" in page and "keeps voting while evacuated" in page
    assert "no other member can take its vote: 2 of 3 voters remain up, the database needs 2" in page
    killed = dashboard.get("/members/member2/evacuate", params={"mode": "force-stop"}).text
    assert "killed at once, no clean shutdown" in killed and "shut down cleanly" not in killed


def test_the_evacuate_dialog_weighs_the_memory_that_would_move_against_the_receivers_free_memory(cluster, dashboard):
    def dialog() -> str:
        return dashboard.get("/members/member2/evacuate", params={"mode": "migrate"}).text

    page = wait_until(lambda: (text := dialog()) and "member3" in text.split("would receive")[-1] and text)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    figures = r"would move use ([\d.]+\w+) of memory now; the members that would receive them have ([\d.]+\w+) free"
    found = re.search(figures + r" \((.*?)\)", text)
    assert found, text
    assert set(re.findall(r"member\d", found[3])) == {"member1", "member3"}
    assert "does not fit" not in text  # a few busybox containers fit anywhere
    stopped = dashboard.get("/members/member2/evacuate", params={"mode": "stop"}).text
    assert "would move use" not in stopped  # nothing moves: no memory to weigh


def test_restore_is_refused_on_an_online_member_with_the_reason(session):
    reply = session.api("POST", "/cluster/members/member2/state", json={"action": "restore"})
    assert reply.status_code == 409
    assert reply.json()["error"] == "Only an evacuated member can be restored"


def test_an_unknown_mode_gets_incus_own_error(session, dashboard):
    reply = session.post("/members/member2/evacuate", data={"mode": "sideways"})
    assert reply.status_code == 400
    assert "Invalid value &#34;sideways&#34; (not one of [auto migrate" in reply.text  # Incus's words
    assert "checked" not in reply.text  # no mode picked for the user: they choose again
    assert dashboard_status(dashboard, "member2") == "Online"


def test_evacuate_moves_the_instances_and_restore_brings_them_back(cluster, dashboard, session):
    before = locations(cluster)
    moved = sorted(n for n, loc in before.items() if loc == "member3")
    reply = session.api("POST", "/cluster/members/member3/state", json={"action": "evacuate", "mode": "migrate"})
    assert reply.status_code == 202, reply.text
    body = reply.json()
    assert body["type"] == "async" and reply.headers["Location"] == body["operation"]
    # While it runs, every page shows it in the operations panel.
    assert "Evacuating cluster member" in dashboard.get("/").text
    try:
        operation = wait_for_operation(session, body["operation"])
        assert operation["status"] == "Success", operation["err"]
        wait_until(lambda: dashboard_status(dashboard, "member3") == "Evacuated")
        after = locations(cluster)
        assert all(after[n] != "member3" for n in moved)
        # The finished outcome stays, after Incus has forgotten the operation.
        time.sleep(6)
        assert session.client.get(body["operation"]).json()["metadata"]["status"] == "Success"
    finally:
        reply = session.api("POST", "/cluster/members/member3/state", json={"action": "restore"})
        assert reply.status_code == 202, reply.text
        restored = wait_for_operation(session, reply.json()["operation"])
    assert restored["status"] == "Success", restored["err"]
    wait_until(lambda: dashboard_status(dashboard, "member3") == "Online")
    assert locations(cluster) == before


def test_evacuating_an_evacuated_member_says_why_not(cluster, dashboard, session):
    cluster.incus("cluster", "evacuate", "member2", "--action", "stop", "--force")
    try:
        wait_until(lambda: dashboard_status(dashboard, "member2") == "Evacuated")
        # An evacuation started with the incus CLI shows too, with its outcome kept.
        operations = session.api("GET", "/operations").json()["metadata"]
        evacuations = [
            op for ops in operations.values() for op in ops if op["description"] == "Evacuating cluster member"
        ]
        assert any(op["location"] == "member2" and op["status"] == "Success" for op in evacuations)
        # Once the evacuation's own operation has ended in the snapshot too (it says "in progress" till then).
        wait_until(lambda: "The member is already evacuated" in dashboard.get("/members/member2").text, timeout=30)
        reply = session.post("/members/member2/evacuate", data={"mode": "stop"})
        assert reply.status_code == 409 and "already evacuated" in reply.text
    finally:
        cluster.incus("cluster", "restore", "member2", "--force")
    wait_until(lambda: dashboard_status(dashboard, "member2") == "Online")


def test_remove_is_refused_while_the_member_has_instances(session):
    reply = session.api("DELETE", "/cluster/members/member2")
    assert reply.status_code == 409
    assert "still has" in reply.json()["error"]


def test_remove_asks_for_the_name_then_removes_a_fresh_member(cluster, dashboard, session):
    name = cluster.add_member()
    try:
        wait_until(lambda: dashboard_status(dashboard, name) == "Online")
        reply = session.post(f"/members/{name}/remove", data={"confirm": "wrong"})
        assert reply.status_code == 422 and f"Type &#34;{name}&#34; to confirm" in reply.text
        assert 'value="wrong"' in reply.text  # what was typed is kept
        reply = session.post(f"/members/{name}/remove", data={"confirm": name})
        assert reply.status_code == 200, reply.text
        assert "removed" in reply.text
        assert name not in cluster.incus("cluster", "list", "--format", "csv").stdout
        wait_until(lambda: dashboard_status(dashboard, name) == "gone")
    finally:
        cluster.forget_member(name)


def test_force_remove_takes_an_offline_member_out(cluster, dashboard, session):
    name = cluster.add_member()
    try:
        wait_until(lambda: dashboard_status(dashboard, name) == "Online")
        reply = session.api("DELETE", f"/cluster/members/{name}", params={"force": 1})
        assert reply.status_code == 409  # only for an offline member
        cluster.stop_member(name)
        wait_until(lambda: dashboard_status(dashboard, name) == "Offline", timeout=90)
        dialog = dashboard.get(f"/members/{name}/remove", params={"force": "true"}).text
        assert "fully reinstalled" in dialog
        reply = session.post(f"/members/{name}/remove", data={"confirm": name, "force": "true"})
        assert reply.status_code == 200, reply.text
        wait_until(lambda: dashboard_status(dashboard, name) == "gone")
    finally:
        cluster.forget_member(name)


def test_roles_are_added_and_removed_keeping_the_automatic_ones(cluster, session):
    name = "member2"
    before = incus_member(cluster, name)
    dialog = session.client.get(f"/members/{name}/edit", params={"section": "roles"}).text
    assert 'value="event-hub"' in dialog and "Set by Incus" in dialog
    etag = dialog.split('name="etag" value="')[1].split('"')[0].replace("&#34;", '"')
    original = json.dumps({k: before[k] for k in ("roles", "failure_domain", "description", "config", "groups")})
    reply = session.post(
        f"/members/{name}/edit",
        data={"section": "roles", "etag": etag, "original": original, "roles": ["event-hub"]},
    )
    assert reply.status_code == 200, reply.text
    roles = incus_member(cluster, name)["roles"]
    assert "event-hub" in roles
    assert set(r for r in before["roles"] if r.startswith("database")) <= set(roles) | {"database-leader"}
    reply = session.api("PATCH", f"/cluster/members/{name}", json={"roles": [r for r in roles if r != "event-hub"]})
    assert reply.status_code == 200, reply.text
    assert "event-hub" not in incus_member(cluster, name)["roles"]


def test_a_stale_edit_shows_what_changed_and_keeps_the_input(cluster, session, restore_description):
    name = restore_description
    etag, original = open_edit_form(session, name)
    edit_member(cluster, name, description="changed by someone else")
    reply = session.post(
        f"/members/{name}/edit",
        data={
            "etag": etag,
            "original": original,
            "description": "my typing",
            "failure_domain": "default",
            "groups": "default",
        },
    )
    assert reply.status_code == 409
    assert "changed this member meanwhile (description)" in reply.text
    assert 'value="my typing"' in reply.text
    assert "changed by someone else" in reply.text
    assert incus_member(cluster, name)["description"] == "changed by someone else"


def test_a_bad_config_key_is_refused_before_incus_and_keeps_the_form(cluster, session):
    name = "member2"
    etag, original = open_edit_form(session, name)
    reply = session.post(
        f"/members/{name}/edit",
        data={"etag": etag, "original": original, "description": "kept", "failure_domain": "default",
              "groups": "default", "user_config": "bogus.key=1"},
    )
    assert reply.status_code == 422
    assert "Invalid cluster configuration key &#34;bogus.key&#34;" in reply.text
    assert 'value="kept"' in reply.text and "bogus.key=1" in reply.text
    assert "bogus.key" not in incus_member(cluster, name)["config"]


def test_incus_refusing_a_value_shows_its_words_and_keeps_the_form(cluster, session):
    name = "member2"
    etag, original = open_edit_form(session, name)
    reply = session.post(
        f"/members/{name}/edit",
        data={"etag": etag, "original": original, "description": "kept", "failure_domain": "default",
              "groups": "no-such-group"},
    )
    assert reply.status_code == 422
    assert "Cluster_group not found" in reply.text  # Incus's own words
    assert 'value="kept"' in reply.text and "no-such-group" in reply.text
    assert incus_member(cluster, name)["groups"] == ["default"]


def test_the_api_refuses_bad_bodies_with_a_clear_400(session):
    reply = session.api("PATCH", "/cluster/members/member2", json={"config": {"bogus.key": "1"}})
    assert reply.status_code == 400 and "bogus.key" in reply.json()["error"]
    reply = session.api("PATCH", "/cluster/members/member2", json={"nonsense": 1})
    assert reply.status_code == 400
    reply = session.api("POST", "/cluster/members/member2/state", json={"action": "explode"})
    assert reply.status_code == 400


@pytest.mark.usefixtures("server_fetched")
def test_the_edit_dialog_explains_the_member_keys_in_incus_words(cluster, session):
    member_keys = cluster.query("/1.0/metadata/configuration")["configs"]["cluster"]["cluster"]["keys"]
    described = {name: meta for entry in member_keys for name, meta in entry.items()}
    dialog = session.client.get("/members/member2/edit").text
    assert described["scheduler.instance"]["shortdesc"] in dialog and "(default all)" in dialog
    assert described["user.*"]["shortdesc"] in dialog
    for value in ("all", "group", "manual"):
        assert f'<option value="{value}"' in dialog
