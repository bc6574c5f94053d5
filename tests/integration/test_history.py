"""Cluster changes made with the incus CLI are kept, with their requestor."""

import pytest
from sqlalchemy import func, select

from tests.conftest import edit_member, wait_until
from webui import db
from webui.models import ClusterEvent

pytestmark = pytest.mark.cluster


def kept(dashboard, source: str) -> int:
    """How many events from `source` the dashboard has kept (earlier tests add some too)."""
    engine = db.make_engine(dashboard.database_url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).where(ClusterEvent.source == source))
    engine.dispose()
    return int(count or 0)


def test_a_cli_change_appears_in_the_cluster_history(cluster, dashboard, restore_description):
    source = f"/1.0/cluster/members/{restore_description}"
    before = kept(dashboard, source)
    edit_member(cluster, restore_description, description="recorded")
    wait_until(lambda: kept(dashboard, source) > before, timeout=10)
    page = dashboard.get("/history").text
    assert "cluster-member-updated" in page and source in page
    assert "incus CLI (unix socket) on member1" in page  # edit_member uses member1's socket
    assert 'title="unix/root (@)"' in page  # Incus's own identity, in the tooltip
