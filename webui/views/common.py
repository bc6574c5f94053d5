"""What every page shows: the banner, the operations strip, an operation's chip wherever it
is drawn, and the cluster's alerts."""

from webui.live.fragments import EVERYONE, Fragment, LivePage
from webui.live.snapshot import Changes, ClusterSnapshot
from webui.services.activity.recent import Recent
from webui.services.configuration.certificates import cluster_certificate
from webui.services.upgrade.status import upgrade_status
from webui.views import warnings


def strip_view(recent: Recent, snapshot: ClusterSnapshot) -> dict[str, object]:
    return {"strip": recent.strip(snapshot)}


def alerts_view(snapshot: ClusterSnapshot) -> dict[str, object]:
    """An upgrade under way and the cluster certificate's expiry: every page warns of them."""
    pem = snapshot.server.certificate if snapshot.server else ""
    return {"upgrade": upgrade_status(snapshot), "certificate_info": cluster_certificate(pem)}


def page(recent: Recent) -> LivePage:
    def operation(snapshot: ClusterSnapshot, changes: Changes, key: str, role: str) -> dict[str, object] | None:
        found = snapshot.operation(key)
        return None if found is None else {"operation": found}

    return LivePage(
        EVERYONE,
        (
            Fragment("banner", "_banner.html", lambda c: c.status),
            # membership: a full redraw, as on refresh; aged: what "just ended" no longer did
            Fragment(
                "operations", "operations/_list.html", lambda c: bool(c.operations or c.membership or c.aged),
                lambda snapshot, changes, key, role: strip_view(recent, snapshot),
            ),
            Fragment(
                "operation-{key}", "operations/_operation.html", lambda c: bool(c.operations), operation,
                keys=lambda snapshot, c: c.operations,
            ),
            Fragment(
                "cluster-alerts", "cluster/_alerts.html", lambda c: c.cluster or c.statuses or c.membership,
                lambda snapshot, changes, key, role: alerts_view(snapshot),
            ),
            warnings.COUNT,
        ),
    )
