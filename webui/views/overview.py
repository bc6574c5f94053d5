"""Every cluster the dashboard holds, one card each: its members by status, maintenance under
way, the Incus versions it runs (mixed ones flagged), its certificate's expiry and the age of
what is shown; the landing page when there are several, and `GET /api/v1/clusters`."""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from webui.clock import now
from webui.live.hub import Hub
from webui.live.snapshot import ClusterSnapshot
from webui.services.configuration.certificates import CertificateInfo, cluster_certificate
from webui.services.maintenance.runs import MaintenanceRun
from webui.services.upgrade.status import upgrade_status


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
    mixed: bool  # members on different Incus versions (or API extension sets): mid-upgrade
    certificate: CertificateInfo | None
    updated_at: datetime | None

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
    return Card(
        name, prefix, kind, snapshot.reachable, snapshot.error, statuses, running, upgrade.versions,
        upgrade.mid_upgrade, cluster_certificate(pem), snapshot.updated_at,
    )


def cards(clusters: Mapping[str, Watched]) -> list[Card]:
    return [card(name, f"/clusters/{name}", cluster.hub.snapshot) for name, cluster in clusters.items()]
