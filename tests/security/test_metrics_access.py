"""/metrics is not public: the cluster's size and state, and the dashboard's load, are for the
metrics_allow networks (the loopback by default) or a scraper with the metrics_token; and no
label carries text from the cluster at its full length."""

import httpx
import pytest

from tests.security.conftest import SUBNET, from_address

pytestmark = pytest.mark.cluster

TOKEN = "scrape-" + "s3cret" * 4


def test_metrics_are_refused_from_another_host_unless_it_brings_the_token(own_dashboard):
    server = own_dashboard("metrics", INCUS_WEBUI_METRICS_TOKEN=TOKEN)
    assert httpx.get(server.url + "/metrics").status_code == 200  # the loopback, 127.0.0.1
    with from_address(server, 41) as elsewhere:
        refused = elsewhere.get("/metrics")
        assert refused.status_code == 403 and "metrics_allow" in refused.text
        assert "incus_webui" not in refused.text
        assert elsewhere.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        scraped = elsewhere.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert scraped.status_code == 200 and "incus_webui_cluster_members" in scraped.text


def test_a_network_in_metrics_allow_may_scrape(own_dashboard):
    server = own_dashboard("metrics-allow", INCUS_WEBUI_METRICS_ALLOW=f'["{SUBNET}.42/32"]')
    with from_address(server, 42) as allowed, from_address(server, 43) as other:
        assert allowed.get("/metrics").status_code == 200
        assert other.get("/metrics").status_code == 403
    assert httpx.get(server.url + "/metrics").status_code == 403  # the loopback was not kept in the list


def test_no_label_is_longer_than_a_bound(dashboard):
    dashboard.get("/cluster/groups/" + "g" * 5000)  # a long name the dashboard passes to Incus, or refuses
    for line in dashboard.get("/metrics").text.splitlines():
        if "{" in line and not line.startswith("#"):
            labels = line[line.index("{"):line.rindex("}")]
            assert len(labels) < 300, line[:200]
