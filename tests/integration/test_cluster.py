"""The cluster page against the real cluster: configuration form, upgrades, certificate."""

import html

import pytest

from tests.conftest import STATE_DIR
from webui.services.certificates import describe

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def config_get(cluster, key: str, target: str = "") -> str:
    args = ["config", "get", key] + (["--target", target] if target else [])
    return cluster.incus(*args).stdout.strip()


def form(**values: str) -> dict[str, str]:
    """What the browser posts for the global keys (the fields it leaves out are left alone)."""
    return {"target": "", **values}


def test_the_page_tells_global_keys_from_local_ones_with_defaults(cluster, dashboard):
    page = dashboard.get("/cluster").text
    assert "cluster.max_voters" in page and "cluster.rebalance.threshold" in page  # cluster_rebalance exists
    assert 'placeholder="3H"' in page  # join_token_expiry's default
    assert "cluster.https_address" not in page  # local: only with a member chosen
    local = dashboard.get("/cluster/config", params={"target": "member2"}).text
    assert "cluster.https_address" in local and "cluster.max_voters" not in local
    assert f'value="{cluster.address("member2")}:8443"' in local


def test_the_upgrade_panel_shows_each_member_version(cluster, dashboard):
    version = cluster.query("/1.0")["environment"]["server_version"]
    page = dashboard.get("/cluster").text
    for name in cluster.members:
        row = page.split(f'id="upgrade-{name}"')[1].split("</tr>")[0]
        assert version in row
    assert "Cluster upgrade in progress" not in page


def test_the_certificate_panel_shows_the_pinned_certificate(cluster, dashboard):
    info = describe((STATE_DIR / "cluster.crt").read_text())
    page = dashboard.get("/cluster").text
    assert info.fingerprint in page
    assert f"{info.days_left()} days left" in page


def test_a_bad_value_is_refused_before_incus_and_the_typing_is_kept(cluster, session):
    before = config_get(cluster, "cluster.max_voters")
    reply = session.post("/cluster/config", data=form(**{"cluster.max_voters": "4"}))
    assert reply.status_code == 422
    assert "Must be an odd number, at least 3" in reply.text
    assert 'name="cluster.max_voters" value="4"' in reply.text
    assert config_get(cluster, "cluster.max_voters") == before


def test_incus_refusing_a_value_shows_its_words(cluster, session):
    reply = session.post("/cluster/config", data=form(**{"cluster.rebalance.batch": "99999999999999999999"}))
    assert reply.status_code == 422
    assert "invalid integer" in html.unescape(reply.text)  # Incus's own words
    assert 'value="99999999999999999999"' in reply.text
    assert config_get(cluster, "cluster.rebalance.batch") == ""


def test_a_change_is_saved_and_shown(cluster, session):
    try:
        reply = session.post("/cluster/config", data=form(**{"cluster.max_standby": "1"}))
        assert reply.status_code == 200, reply.text
        assert "Incus accepted: cluster.max_standby" in reply.text
        assert config_get(cluster, "cluster.max_standby") == "1"
        assert 'name="cluster.max_standby" value="1"' in session.client.get("/cluster").text
    finally:
        cluster.incus("config", "unset", "cluster.max_standby")


def test_enabling_healing_needs_the_warning_acknowledged(cluster, session):
    reply = session.post("/cluster/config", data=form(**{"cluster.healing_threshold": "30"}))
    assert reply.status_code == 422
    assert "corrupts its data" in reply.text and "restored by hand" in reply.text
    assert config_get(cluster, "cluster.healing_threshold") == ""
    try:
        data = form(**{"cluster.healing_threshold": "30", "healing_ack": "1"})
        reply = session.post("/cluster/config", data=data)
        assert reply.status_code == 200, reply.text
        assert config_get(cluster, "cluster.healing_threshold") == "30"
    finally:
        cluster.incus("config", "unset", "cluster.healing_threshold")


def test_a_local_key_is_set_on_the_chosen_member_only(cluster, session):
    address = config_get(cluster, "cluster.https_address", "member2")
    reply = session.post("/cluster/config", data={"target": "member2", "cluster.https_address": "not-an-address"})
    assert reply.status_code == 422 and "HOST:PORT" in reply.text
    assert config_get(cluster, "cluster.https_address", "member2") == address


def test_a_bad_certificate_is_refused_before_incus(session):
    reply = session.post("/cluster/certificate", data={"certificate": "nonsense", "key": "nonsense"})
    assert reply.status_code == 422
    assert "not a valid PEM certificate" in reply.text
    assert ">nonsense</textarea>" in reply.text  # what was pasted is kept
