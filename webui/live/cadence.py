"""Which members the watcher asks for their state (and `/1.0`) in one round.

Each of those is one request per member, forwarded by Incus to that member: with 1,000
members, asking all of them every 10 s is 6,000 requests a minute, for pages nobody has
open. So a member whose page is open is asked every round; the others take turns, `budget`
a round, the longest unasked first. Up to `budget` members, that is every member every round
(as before); beyond, the requests per round stop growing with the member count and each
unwatched member's figures are refreshed every members ÷ budget rounds.
"""

from collections.abc import Iterable, Mapping

BUDGET = 16  # unwatched members asked per round


def due(
    names: Iterable[str], watched: frozenset[str], asked_at: Mapping[str, float], budget: int = BUDGET
) -> list[str]:
    """The members to ask this round: every watched one, and the `budget` unwatched ones asked
    longest ago (never asked: first), in the order given."""
    listed = list(names)
    unwatched = [n for n in listed if n not in watched]
    turn = set(sorted(unwatched, key=lambda n: asked_at.get(n, float("-inf")))[:budget])
    return [n for n in listed if n in watched or n in turn]
