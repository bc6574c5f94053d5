"""The cluster page: configuration, upgrades, certificate, healing and rebalancing."""

from webui.live.fragments import Fragment, LivePage
from webui.views.common import alerts_view

CLUSTER = "cluster"
PAGE = LivePage(
    CLUSTER,
    (
        Fragment(
            "cluster-panels", "cluster/_panels.html", lambda c: c.cluster or c.statuses or c.membership,
            lambda snapshot, changes, key, role: alerts_view(snapshot),
        ),
    ),
)
