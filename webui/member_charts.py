"""A member's history charts, rendered once per state sample for every page and live frame of
that member until the next (an hour of points in each chart: 38 of the 41 ms a member page took
to render, and its every live frame). Rendered again at least once per sample interval, so the
charts of a member that stopped answering still move on with the time."""

import time

from jinja2 import Environment
from markupsafe import Markup

from webui.incus.models import Member
from webui.live.snapshot import ClusterSnapshot
from webui.live.trends import Trends
from webui.memo import Kept

TEMPLATE = "members/_charts.html"


class MemberCharts:
    def __init__(self, env: Environment, trends: Trends, limit: int = 10000) -> None:
        self.env = env
        self.trends = trends
        self.kept: Kept[Markup] = Kept(limit)

    def __call__(self, snapshot: ClusterSnapshot, member: Member) -> Markup:
        name = member.server_name
        history = self.trends.of(name)
        key = (
            history.samples if history else 0,
            snapshot.cpus.get(name, 0),
            int(time.time() // self.trends.interval),
        )
        render = self.env.get_template(TEMPLATE).render
        return self.kept.get(name, key, lambda: Markup(render(snapshot=snapshot, member=member)))
