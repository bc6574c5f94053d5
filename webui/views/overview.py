"""Every cluster the dashboard holds, one card each: its members by status, maintenance under
way, the Incus versions it runs (mixed ones flagged), its certificate's expiry and the age of
what is shown; the landing page when there are several, and `GET /api/v1/clusters`."""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from webui.clock import now
from webui.incus.models import Event
from webui.live.hub import Hub
from webui.live.snapshot import ClusterSnapshot
from webui.middleware.cluster_paths import pages_of
from webui.services.configuration.certificates import CertificateInfo, cluster_certificate
from webui.services.maintenance.runs import MaintenanceRun
from webui.services.upgrade.status import upgrade_status
from webui.services.warnings.listing import SEVERITIES


class Watched(Protocol):
    """A cluster the dashboard holds (webui/clusters.py), as far as its card reads it."""

    hub: Hub


@dataclass(frozen=True)
class Card:
    name: str
    prefix: str  # where its pages are
    kind: str  # "cluster", or "standalone" for one server not clustered
    reachable: bool
    error: str  # why Incus does not answer
    statuses: list[tuple[str, int]]  # members by Incus's status, the most first
    maintenance: list[MaintenanceRun]  # running evacuations and restores (k/N each)
    versions: list[str]
    extensions: list[int]  # API extension counts (one, unless mid-upgrade)
    mixed: bool  # members on different Incus versions (or API extension sets): mid-upgrade
    certificate: CertificateInfo | None
    updated_at: datetime | None
    warnings: list[tuple[str, int]] = field(default_factory=list)  # new ones by severity, high first
    operations: int = 0  # running Incus operations
    healed: tuple[str, ...] = ()  # members Incus evacuated by itself, not restored since
    last_move: Event | None = None  # the last instance Incus moved by itself (rebalancing)

    @property
    def members(self) -> int:
        return sum(count for _, count in self.statuses)

    def age_seconds(self) -> float | None:
        return (now() - self.updated_at).total_seconds() if self.updated_at else None

    def as_json(self) -> dict[str, Any]:
        """The card for /api/v1, in Incus's spelling of its words (statuses, versions)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "status": "Online" if self.reachable else "Unreachable",
            "reachable": self.reachable,
            "error": self.error,
            "members": dict(self.statuses),
            "versions": self.versions,
            "api_extensions": self.extensions,
            "warnings": dict(self.warnings),
            "running_operations": self.operations,
            "healed": list(self.healed),
            "maintenance": [
                {"member": run.member, "kind": run.kind, "done": run.done, "total": run.total}
                for run in self.maintenance
            ],
            "certificate_expires_at": self.certificate.not_after.isoformat() if self.certificate else None,
            "data_age_seconds": self.age_seconds(),
        }


def card(name: str, prefix: str, snapshot: ClusterSnapshot) -> Card:
    statuses = Counter(member.status or "Unknown" for member in snapshot.members).most_common()
    running = [run for run in snapshot.maintenance if isinstance(run, MaintenanceRun) and run.running]
    pem = snapshot.server.certificate if snapshot.server else ""
    kind = "standalone" if snapshot.standalone else "cluster"
    upgrade = upgrade_status(snapshot)
    fresh = Counter(w.severity for w in snapshot.warnings if w.status == "new")
    return Card(
        name, prefix, kind, snapshot.reachable, snapshot.error, statuses, running, upgrade.versions,
        upgrade.extension_counts, upgrade.mid_upgrade, cluster_certificate(pem), snapshot.updated_at,
        warnings=[(severity, fresh[severity]) for severity in reversed(SEVERITIES) if fresh[severity]],
        operations=sum(not op.finished for op in snapshot.operations),
        healed=tuple(sorted(snapshot.healed)),
        last_move=snapshot.rebalanced[-1] if snapshot.rebalanced else None,
    )


def cards(clusters: Mapping[str, Watched], names: Iterable[str]) -> list[Card]:
    """The cards of the clusters `names` (those the account may see), in the settings' order."""
    return [card(name, pages_of(name), clusters[name].hub.snapshot) for name in names]
