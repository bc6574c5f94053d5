"""The member table's cells, each rendered once per change of what it shows, whichever asks
first: the hub for a live frame, or a page. At 1,000 members a page is then a join of kept
fragments instead of 1,000 rows rendered again (seconds, with the sparklines).

Two fragments a row: the member's own cells (they change with the member) and its figures
(instances, load, memory, sparkline: they change with every state sample)."""

from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from webui.incus.models import Member
from webui.live.snapshot import ClusterSnapshot
from webui.live.trends import Trends
from webui.memo import Kept

TEMPLATE = "members/_table.html"


class MemberRows:
    def __init__(self, env: Environment, trends: Trends, limit: int = 20000) -> None:
        self.env = env
        self.trends = trends
        self.kept: Kept[Markup] = Kept(limit)  # two fragments a member
        self._macros: Any = None

    def cells(self, snapshot: ClusterSnapshot, member: Member) -> Markup:
        """A row's cells: what the row frame swaps in, and what a page puts in the row."""
        return self._own(snapshot, member) + self.figures(snapshot, member)

    def figures(self, snapshot: ClusterSnapshot, member: Member) -> Markup:
        name = member.server_name
        history = self.trends.of(name)
        key = (
            snapshot.states.get(name),
            snapshot.cpus.get(name),
            tuple(i.status for i in snapshot.instances_on(name)),
            history.samples if history else 0,
        )
        return self.kept.get(("figures", name), key, lambda: Markup(self._module().metric_cells(snapshot, member)))

    def _own(self, snapshot: ClusterSnapshot, member: Member) -> Markup:
        name = member.server_name
        key = (
            member,
            snapshot.server_name == name,
            snapshot.maintenance_of(name),
            snapshot.servers.get(name),
            name in snapshot.silent,
            snapshot.new_warnings.get(name, 0),
        )
        return self.kept.get(("own", name), key, lambda: Markup(self._module().own_cells(snapshot, member)))

    def _module(self) -> Any:
        """The table's macros, built once: they take the snapshot as an argument. A module made
        per snapshot (its macros seeing it in their context) was a reference cycle holding that
        snapshot until a full garbage collection; with those rarer (webui.app.YOUNG_GENERATION),
        10 clusters' watched tables held 160 MiB more of them."""
        if self._macros is None:
            self._macros = self.env.get_template(TEMPLATE).make_module()
        return self._macros
