"""Why rebalancing moves, or does not, against the real cluster: each member's score from the
resources Incus reports now, the threshold, and the keys as Incus describes them."""

import re

import pytest

from tests.conftest import wait_until
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


@pytest.fixture
def moved_by_rebalancing(cluster, dashboard):
    """A container marked as Incus marks an instance it moved (its last move, 2026-11-30 08:00 UTC)."""
    name = next(i["name"] for i in cluster.instances() if i["location"] == "member2")
    cluster.incus("config", "set", name, "volatile.rebalance.last_move=1796025600")
    yield name
    cluster.incus("config", "unset", name, "volatile.rebalance.last_move")


def test_incus_own_record_of_its_moves_is_listed(dashboard, moved_by_rebalancing):
    def record() -> str:
        """The section's record of moves, once it names the container (the watcher saw the change)."""
        section = dashboard.get("/cluster/rebalancing", headers={"HX-Request": "true"}).text
        found = section.split("Moves Incus made by itself")[1].split("Seen by the dashboard")[0]
        return found if moved_by_rebalancing in found else ""

    shown = wait_until(record, timeout=30)
    assert "2026-11-30 08:00" in shown and "member2" in shown
