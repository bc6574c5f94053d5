"""The cluster page against the real cluster: configuration form, upgrades, certificate."""

import html
import re

import pytest

from tests.conftest import STATE_DIR
from webui.services.configuration.certificates import describe

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def config_get(cluster, key: str, target: str = "") -> str:
    args = ["config", "get", key] + (["--target", target] if target else [])
    return cluster.incus(*args).stdout.strip()


def form(**values: str) -> dict[str, str]:
    """What the browser posts (the fields it leaves out are left alone)."""
    return dict(values)


def test_the_page_lists_every_key_incus_describes(cluster, dashboard):
    metadata = cluster.query("/1.0/metadata/configuration")["configs"]["server"]
    described = [name for group in metadata.values() for entry in group["keys"] for name in entry]
    page = dashboard.get("/cluster").text
    listed = re.findall(r'<tr id="key-([^"]+)"', page)
    assert sorted(listed) == sorted(described) and len(listed) == 75
    for group in metadata:
        assert f'id="config-group-{group}"' in page
    assert 'placeholder="3H"' in page  # join_token_expiry's default, from the metadata
    assert '<select name="core.metrics_authentication"' in page  # a bool gets a choice
    voters = 'name="cluster.max_voters" value="" aria-label="cluster.max_voters" placeholder="3" inputmode="numeric"'
    assert voters in page


def test_a_local_key_shows_every_member_value_side_by_side(cluster, dashboard):
    row = dashboard.get("/cluster").text.split('id="key-cluster.https_address"')[1].split('id="key-')[0]
    for name in cluster.members:
        assert f'name="cluster.https_address@{name}" value="{cluster.address(name)}:8443"' in row


def test_search_narrows_the_keys(dashboard):
    found = dashboard.get("/cluster/config", params={"q": "bgp"}).text
    assert re.findall(r'<tr id="key-([^"]+)"', found) == ["core.bgp_address", "core.bgp_asn", "core.bgp_routerid"]


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


def test_incus_refusing_a_value_shows_its_words_beside_the_field(cluster, session):
    reply = session.post("/cluster/config", data=form(**{"cluster.rebalance.batch": "99999999999999999999"}))
    assert reply.status_code == 422
    row = html.unescape(reply.text.split('id="key-cluster.rebalance.batch"')[1].split("</tr>")[0])
    assert "invalid integer" in row  # Incus's own words, beside the field
    assert 'value="99999999999999999999"' in row
    assert config_get(cluster, "cluster.rebalance.batch") == ""


def test_a_global_key_is_set_once_and_seen_by_every_member(cluster, session):
    try:
        reply = session.post("/cluster/config", data=form(**{"cluster.max_standby": "1"}))
        assert reply.status_code == 200, reply.text
        assert "Incus accepted: cluster.max_standby" in reply.text
        for name in cluster.members:
            assert config_get(cluster, "cluster.max_standby", name) == "1"
        assert 'name="cluster.max_standby" value="1"' in session.client.get("/cluster").text
    finally:
        cluster.incus("config", "unset", "cluster.max_standby")


def test_a_local_key_is_set_on_one_member_only(cluster, session):
    address = f"{cluster.address('member2')}:9101"
    try:
        reply = session.post("/cluster/config", data={"core.metrics_address@member2": address})
        assert reply.status_code == 200, reply.text
        assert "Incus accepted: core.metrics_address@member2" in reply.text
        for name in cluster.members:
            assert config_get(cluster, "core.metrics_address", name) == (address if name == "member2" else "")
        assert f'name="core.metrics_address@member2" value="{address}"' in reply.text
    finally:
        cluster.incus("config", "unset", "core.metrics_address", "--target", "member2")
    assert config_get(cluster, "core.metrics_address", "member2") == ""


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


def test_a_refused_local_value_leaves_the_member_as_it_was(cluster, session):
    address = config_get(cluster, "cluster.https_address", "member2")
    reply = session.post("/cluster/config", data={"cluster.https_address@member2": "not-an-address"})
    assert reply.status_code == 422 and "not-an-address" in reply.text
    assert config_get(cluster, "cluster.https_address", "member2") == address


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_only_an_admin_gets_fields_and_buttons(dashboard, role):
    page = dashboard.page_as(role, "/cluster")
    assert "cluster.max_voters" in page and "<code>cluster.max_voters</code>" in page
    assert 'name="cluster.max_voters"' not in page and ">Save</button>" not in page
    assert "certificate-form" not in page and "Replace certificate" not in page


def test_a_bad_certificate_is_refused_before_incus(session):
    reply = session.post("/cluster/certificate", data={"certificate": "nonsense", "key": "nonsense"})
    assert reply.status_code == 422
    assert "not a valid PEM certificate" in reply.text
    assert ">nonsense</textarea>" in reply.text  # what was pasted is kept
