"""The wall of several clusters and the overview's cards: live pages each cluster's hub renders
for itself, with the cluster's name in every event, so one stream can carry every cluster's
(webui/routes/stream.py) and each page swaps the right section."""

from typing import Any

from webui.live.fragments import Fragment, LivePage
from webui.live.snapshot import Changes, ClusterSnapshot
from webui.middleware.cluster_paths import pages_of
from webui.views.noc import tile_view, tiles_view, totals_view
from webui.views.overview import card
from webui.views.warnings import count_view

WALL = "wall"
OVERVIEW = "overview"


def whole(changes: Changes) -> bool:
    """Members came or went, the cluster changed, or Incus stopped (or started) answering: the
    section is drawn again whole (one red card while Incus is unreachable)."""
    return changes.membership or changes.cluster or changes.status


def section_view(name: str, snapshot: ClusterSnapshot) -> dict[str, Any]:
    """One cluster's part of the wall, as the page first draws it and as its stream redraws it."""
    return {**tiles_view(snapshot), **counts_view(name, snapshot)}


def counts_view(name: str, snapshot: ClusterSnapshot) -> dict[str, Any]:
    return {"cluster": name, **totals_view(snapshot), **count_view(snapshot)}


def wall_page(name: str) -> LivePage:
    """`name`'s section of the wall: whole, or its changed tiles, counts and freshness alone."""
    return LivePage(
        WALL,
        (
            Fragment(f"wall-{name}", "noc/_cluster.html", whole, lambda s, c, k, r: section_view(name, s)),
            Fragment(
                f"wall-{name}-member-{{key}}", "noc/_tile.html", lambda c: not whole(c),
                lambda s, c, k, r: tile_view(s, k), keys=lambda snapshot, c: c.rows,
            ),
            Fragment(
                f"wall-{name}-counts", "noc/_cluster_counts.html",
                lambda c: not whole(c) and bool(c.rows or c.operations or c.warnings),
                lambda s, c, k, r: counts_view(name, s),
            ),
            Fragment(
                f"wall-{name}-fresh", "noc/_cluster_fresh.html", lambda c: c.fresh and not whole(c),
                lambda s, c, k, r: {"cluster": name},
            ),
        ),
        display=True,
        common=False,
    )


def overview_page(name: str) -> LivePage:
    """`name`'s card on the overview, drawn again on every change (its data's age too)."""
    return LivePage(
        OVERVIEW,
        (Fragment(f"card-{name}", "clusters/_card.html", lambda c: True, lambda s, c, k, r: card_view(name, s)),),
        common=False,
    )


def card_view(name: str, snapshot: ClusterSnapshot) -> dict[str, object]:
    return {"card": card(name, pages_of(name), snapshot)}
