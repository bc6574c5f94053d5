"""What the cluster's Incus can do, asked by API extension name, never by version.

Incus says what it can do in `api_extensions` (`GET /1.0`, read once per member each slow
round). The version says less: the 6.0 line gained features in point releases (the `Evacuating`
and `Restoring` statuses in 6.0.6), and a feature's first release differs between lines. So
every feature that depends on an extension asks `snapshot.features.has(NAME)`, with NAME one of
those below (a typo raises instead of quietly answering no); `tests/unit/test_features.py` fails
when a version comparison decides a feature. The names are Incus's (`internal/version/api.go`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from webui.incus.models import Server

CLUSTER_EVACUATING_RESTORING = "cluster_evacuating_restoring"  # member statuses Evacuating, Restoring
CLUSTERING_GROUPS_CONFIG = "clustering_groups_config"  # cluster groups have a `config` map
SERVER_SHUTDOWN_ACTION = "server_shutdown_action"  # core.shutdown_action=evacuate
CLUSTER_HEALING = "cluster_healing"  # cluster.healing_threshold
CLUSTER_REBALANCE = "cluster_rebalance"  # cluster.rebalance.*

KNOWN = frozenset(
    {CLUSTER_EVACUATING_RESTORING, CLUSTERING_GROUPS_CONFIG, SERVER_SHUTDOWN_ACTION, CLUSTER_HEALING, CLUSTER_REBALANCE}
)


def _known(name: str) -> str:
    if name not in KNOWN:
        raise KeyError(f"not an API extension the dashboard asks about: {name}")
    return name


@dataclass(frozen=True)
class Features:
    """The API extensions of each member whose `/1.0` was read, and of the member in use."""

    by_member: Mapping[str, frozenset[str]] = field(default_factory=dict)
    in_use: frozenset[str] = frozenset()

    def has(self, name: str) -> bool:
        """Whether every member read has it. Mid-upgrade the members not upgraded yet lack the
        new extensions, and the cluster cannot use a feature some member does not know; before
        any member is read, the member in use answers for all."""
        _known(name)
        if not self.by_member:
            return name in self.in_use
        return all(name in extensions for extensions in self.by_member.values())

    def has_on(self, member: str, name: str) -> bool:
        """Whether that member's Incus has it (False while its `/1.0` was never read)."""
        return _known(name) in self.by_member.get(member, frozenset())


def features_of(server: Server | None, servers: Mapping[str, Server]) -> Features:
    return Features(
        by_member={name: frozenset(s.api_extensions) for name, s in servers.items()},
        in_use=frozenset(server.api_extensions) if server else frozenset(),
    )
