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

TEMPLATE = "members/_table.html"


class MemberRows:
    def __init__(self, env: Environment, trends: Trends, limit: int = 20000) -> None:
        self.env = env
        self.trends = trends
        self.limit = limit  # fragments kept at most (two a member)
        self._kept: dict[tuple[str, str], tuple[tuple[object, ...], Markup]] = {}
        self._macros: tuple[ClusterSnapshot, Any] | None = None

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
        return self._kept_or(("figures", name), key, lambda: self._module(snapshot).metric_cells(member))

    def _own(self, snapshot: ClusterSnapshot, member: Member) -> Markup:
        name = member.server_name
        key = (
            member,
            snapshot.server_name == name,
            snapshot.maintenance_of(name),
            snapshot.servers.get(name),
            name in snapshot.silent,
        )
        return self._kept_or(("own", name), key, lambda: self._module(snapshot).own_cells(member))

    def _kept_or(self, slot: tuple[str, str], key: tuple[object, ...], render: Any) -> Markup:
        kept = self._kept.get(slot)
        if kept is not None and kept[0] == key:
            return kept[1]
        html = Markup(render())
        self._kept.pop(slot, None)
        self._kept[slot] = (key, html)
        if len(self._kept) > self.limit:  # members long gone: the oldest renders go first
            del self._kept[next(iter(self._kept))]
        return html

    def _module(self, snapshot: ClusterSnapshot) -> Any:
        """The table's macros, seeing this snapshot (built once per snapshot, not per row)."""
        if self._macros is None or self._macros[0] is not snapshot:
            module = self.env.get_template(TEMPLATE).make_module({"snapshot": snapshot})
            self._macros = (snapshot, module)
        return self._macros[1]
