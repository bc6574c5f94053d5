"""The wall display: a tile per member saying what is happening to it now, the totals in
its header, maintenance in turn with the tiles, and the data's age."""

from typing import Any

from webui.live.fragments import Fragment, LivePage
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance import wall
from webui.views.warnings import count_view

NOC = "noc"


def tiles_view(snapshot: ClusterSnapshot) -> dict[str, object]:
    return {"tiles": [(member, wall.tile(snapshot, member)) for member in snapshot.members]}


def totals_view(snapshot: ClusterSnapshot) -> dict[str, object]:
    return {"totals": wall.totals(snapshot)}


def wall_view(snapshot: ClusterSnapshot) -> dict[str, Any]:
    """The whole wall, as its page first draws it."""
    return tiles_view(snapshot) | totals_view(snapshot) | count_view(snapshot)


def tile_view(snapshot: ClusterSnapshot, name: str) -> dict[str, object] | None:
    member = snapshot.member(name)
    return None if member is None else {"member": member, "tile": wall.tile(snapshot, member)}


# Redrawn whole when members come or go, or one was healed or restored (cluster); else the
# tiles that changed. The freshness on every resync: the display turns STALE when it stops.
PAGE = LivePage(
    NOC,
    (
        Fragment("noc-tiles", "noc/_tiles.html", lambda c: c.membership or c.cluster, lambda s, c, k, r: tiles_view(s)),
        Fragment(
            "noc-member-{key}", "noc/_tile.html", lambda c: not (c.membership or c.cluster),
            lambda s, c, k, r: tile_view(s, k), keys=lambda snapshot, c: c.rows,
        ),
        Fragment(
            "noc-summary", "noc/_summary.html",
            lambda c: bool(c.membership or c.rows or c.status or c.operations or c.cluster),
            lambda s, c, k, r: totals_view(s),
        ),
        Fragment(
            "noc-maintenance", "noc/_maintenance.html",
            lambda c: bool(c.membership or c.rows or c.operations or c.cluster),
        ),
        Fragment("noc-freshness", "noc/_freshness.html", lambda c: c.fresh or c.status),
        # Incus's new warnings: a count beside the data's age, where it takes no tile's room.
        Fragment("noc-warnings", "noc/_warnings.html", lambda c: c.warnings, lambda s, c, k, r: count_view(s)),
    ),
    display=True,
    common=False,
)
