"""Cluster changes made with the incus CLI are kept, with their requestor."""

import time

import pytest

from tests.conftest import edit_member

pytestmark = pytest.mark.cluster


def test_a_cli_change_appears_in_the_cluster_history(cluster, dashboard, restore_description):
    edit_member(cluster, restore_description, description="recorded")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        page = dashboard.get("/history").text
        if f"/1.0/cluster/members/{restore_description}" in page:
            break
        time.sleep(0.3)
    assert "cluster-member-updated" in page
    assert "<td>unix</td>" in page  # the CLI came through the unix socket
