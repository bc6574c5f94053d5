"""The `upgrade_rig` fixture (a plugin of tests/conftest.py): a throwaway Incus 6.0 cluster
and a dashboard on it, whose members a test upgrades to 7.0."""

from collections.abc import Iterator

import pytest

import devcluster
from tests.conftest import Dashboard, throwaway_cluster, wait_until


class UpgradeRig:
    """A throwaway Incus 6.0 cluster, a dashboard on it, and the upgrade of its members to 7.0,
    one by one, as the documentation's "Upgrade cluster members" has it. The cluster is purged
    at the end, so a test may leave it in any state."""

    def __init__(self, cluster: devcluster.DevCluster, dashboard: Dashboard) -> None:
        self.cluster = cluster
        self.dashboard = dashboard

    def upgrade(self, member: str) -> str:
        """Restart `member` on Incus 7.0: "waiting" (others still to upgrade) or "ready"."""
        return devcluster.upgrade_member(self.cluster, member, "7.0")

    def incus_rows(self, via: str) -> dict[str, tuple[str, str]] | None:
        """Each member's STATUS and message as `incus cluster list` on `via` shows them; None
        while it cannot say (right after a restart the old members elect a leader)."""
        try:
            members = self.cluster.cluster_members(via=via)
        except devcluster.IncusCommandError:
            return None
        return {m["server_name"]: (m["status"].upper(), m["message"]) for m in members}

    def wait_blocked(self, left: list[str], timeout: float = 120) -> dict[str, tuple[str, str]]:
        """Incus's rows, once the members `left` (not upgraded yet) all show BLOCKED to themselves."""

        def blocked() -> dict[str, tuple[str, str]] | None:
            rows = self.incus_rows(left[0])
            return rows if rows and all(rows[m][0] == "BLOCKED" for m in left) else None

        return wait_until(blocked, timeout=timeout)

    def wait_online(self, via: str, timeout: float = 120) -> dict[str, tuple[str, str]]:
        """Incus's rows once every member is ONLINE again (after the last upgrade, the members
        that waited take a few seconds more to come back)."""
        return wait_until(
            lambda: (rows := self.incus_rows(via)) and all(status == "ONLINE" for status, _ in rows.values()) and rows,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def upgrade_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpgradeRig]:
    """Per test module: a throwaway 6.0 cluster to upgrade to 7.0, and a dashboard on it."""
    with throwaway_cluster("upgrade", 200) as dev:
        server = Dashboard(dev.settings_file, tmp_path_factory.mktemp("upgrade") / "webui.db")
        try:
            yield UpgradeRig(dev, server)
        finally:
            server.stop()
