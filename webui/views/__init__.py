"""What each page shows, as view models, and the live fragments each page declares: the hub
renders from these declarations (webui/live/fragments.py), the routes render the same views,
and templates read the view models rather than calling services."""

from dataclasses import dataclass

from webui.live.fragments import LivePage
from webui.live.snapshot import ClusterSnapshot
from webui.services.activity.recent import Recent
from webui.views import cluster, common, maintenance, members, noc, operations, wall, warnings
from webui.views.audit import AUDIT_PAGE


@dataclass(frozen=True)
class Views:
    """Every page's views of one cluster, with the one setting they depend on: how long "just
    ended" lasts; `cluster` names its events on the pages of several clusters."""

    recent: Recent
    cluster: str = ""

    def pages(self) -> tuple[LivePage, ...]:
        """The live pages in the order their fragments are sent."""
        return (
            common.page(self.recent),
            operations.PAGE,
            maintenance.PAGE,
            members.TABLE,
            cluster.PAGE,
            noc.PAGE,
            members.member_page(self.recent),
            AUDIT_PAGE,
            warnings.PAGE,
            wall.wall_page(self.cluster),
            wall.overview_page(self.cluster),
        )

    def common(self, snapshot: ClusterSnapshot) -> dict[str, object]:
        """What every page shows around its own content: the operations strip, the alerts, the
        count of new warnings."""
        return common.strip_view(self.recent, snapshot) | common.alerts_view(snapshot) | warnings.count_view(snapshot)
