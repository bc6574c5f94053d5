"""Why rebalancing moves, or does not, against the real cluster: each member's score from the
resources Incus reports now, the threshold, and the keys as Incus describes them."""

import re

import pytest

from webui.services.maintenance.rebalance_score import Figures, member_score

pytestmark = [pytest.mark.cluster, pytest.mark.usefixtures("server_fetched")]


def test_the_cluster_page_asks_for_the_section_when_it_opens(dashboard):
    page = dashboard.get("/cluster").text
    assert 'hx-get="/cluster/rebalancing" hx-trigger="load"' in page


def test_every_member_is_scored_from_its_resources(cluster, dashboard):
    section = dashboard.get("/cluster/rebalancing", headers={"HX-Request": "true"}).text
    scored = dict(re.findall(r'<tr id="rebalance-([^"]+)">.*?<strong>(\d+)</strong>', section, re.S))
    assert sorted(scored) == ["member1", "member2", "member3"], section[:500]
    for name, shown in scored.items():
        # The load moves between two readings: the score, recomputed now, is within a few points.
        now = member_score(Figures.from_resources(name, cluster.query(f"/1.0/resources?target={name}")))
        assert abs(int(shown) - now.total) <= 10 or now.wrapped, (name, shown, now)
    assert "<strong>Off</strong>" in section  # cluster.rebalance.interval is 0 on the dev cluster
    assert "No virtual machine on" in section or "nothing moves" in section
    assert "cluster.rebalance.threshold" in section and "Percentage load difference" in section  # Incus's words
    assert "{'" not in section and "Average1Min" not in section  # no raw figures
