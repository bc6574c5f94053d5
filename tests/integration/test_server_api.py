"""`/api/v1` (Incus's `/1.0`) and the cluster certificate, against the real cluster.

The certificate replacement runs last and puts the original back."""

import time

import pytest

from tests.certs import make_certificate
from tests.conftest import STATE_DIR, wait_until
from webui.services.configuration.certificates import describe

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def test_get_mirrors_incus_server_info(cluster, dashboard):
    body = dashboard.get("/api/v1").json()
    assert body["type"] == "sync"
    assert "cluster_rebalance" in body["metadata"]["api_extensions"]
    assert body["metadata"]["environment"]["server_version"] == cluster.query("/1.0")["environment"]["server_version"]


def test_target_gives_a_member_local_keys(cluster, dashboard):
    body = dashboard.get("/api/v1", params={"target": "member2"}).json()
    assert body["metadata"]["config"]["cluster.https_address"] == cluster.address("member2") + ":8443"
    assert dashboard.get("/api/v1", params={"target": "nobody"}).status_code == 404


def test_patch_refuses_bad_values_with_incus_envelope(cluster, session):
    reply = session.api("PATCH", "", json={"config": {"cluster.offline_threshold": "5"}})
    assert reply.status_code == 400
    assert reply.json() == {
        "type": "error", "error": "cluster.offline_threshold: Must be a number of seconds above 10", "error_code": 400
    }
    reply = session.api("PATCH", "", json={"config": {"bogus.key": "1"}})
    assert reply.status_code >= 400 and "bogus.key" in reply.json()["error"]  # Incus's own words
    assert cluster.incus("config", "get", "cluster.offline_threshold").stdout.strip() == "11"
    # A refused change leaves the local keys too (Incus 6.0.4 loses them on a refused PATCH).
    for name in cluster.members:
        local = cluster.query("/1.0", member=name)["config"]
        assert local.get("cluster.https_address") == f"{cluster.address(name)}:8443"


def test_patch_changes_only_the_keys_given(cluster, session):
    try:
        reply = session.api("PATCH", "", json={"config": {"cluster.join_token_expiry": "1d"}})
        assert reply.status_code == 200, reply.text
        assert cluster.incus("config", "get", "cluster.join_token_expiry").stdout.strip() == "1d"
        assert cluster.incus("config", "get", "cluster.offline_threshold").stdout.strip() == "11"
        config = session.client.get("/api/v1").json()["metadata"]["config"]
        assert config["cluster.join_token_expiry"] == "1d"  # read back at once, not at the next round
    finally:
        cluster.incus("config", "unset", "cluster.join_token_expiry")


def test_a_certificate_with_the_wrong_key_is_not_sent(session):
    certificate, _ = make_certificate()
    _, other_key = make_certificate()
    reply = session.api(
        "PUT", "/cluster/certificate", json={"cluster_certificate": certificate, "cluster_certificate_key": other_key}
    )
    assert reply.status_code == 400 and reply.json()["error"] == "The key does not match the certificate"


def served_fingerprint(dashboard) -> str:
    return describe(dashboard.get("/api/v1").json()["metadata"]["environment"]["certificate"]).fingerprint


def test_replacing_the_certificate_keeps_the_dashboard_connected(cluster, dashboard, session):
    original = (cluster.incus_dir("member1") / "cluster.crt").read_text()
    original_key = (cluster.incus_dir("member1") / "cluster.key").read_text()
    certificate, key = make_certificate("replaced by the tests")
    new = describe(certificate).fingerprint
    body = {"cluster_certificate": certificate, "cluster_certificate_key": key}
    try:
        reply = session.api("PUT", "/cluster/certificate", json=body)
        assert reply.status_code == 200, reply.text
        assert served_fingerprint(dashboard) == new
        # Still talking to the cluster over fresh connections, with the new pin.
        time.sleep(3)
        health = dashboard.wait_healthy(timeout=30)
        assert health["incus_reachable"] and health["data_age_seconds"] < 5
        assert "replaced by the tests" in session.client.get("/cluster").text
    finally:
        body = {"cluster_certificate": original, "cluster_certificate_key": original_key}
        reply = session.api("PUT", "/cluster/certificate", json=body)
        assert reply.status_code == 200, reply.text
    wait_until(lambda: served_fingerprint(dashboard) == describe(original).fingerprint, timeout=30)
    assert (STATE_DIR / "cluster.crt").read_text() == original
    assert dashboard.wait_healthy(timeout=30)["incus_reachable"]
