"""One value derived from an object, kept until asked about another object.

For what every page or request would otherwise work out again from the same snapshot (or the
same member list in it): at 1,000 members, the upgrade status every page's alerts show was a
third of a member page's time, and encoding the API's member list most of that call."""

from collections.abc import Callable
from typing import Generic, TypeVar

S = TypeVar("S")
V = TypeVar("V")


class Latest(Generic[S, V]):
    def __init__(self, derive: Callable[[S], V]) -> None:
        self.derive = derive
        self._kept: tuple[S, V] | None = None

    def __call__(self, source: S) -> V:
        """`derive(source)`, worked out again only when `source` is another object (by
        identity: a snapshot is never changed, only replaced)."""
        kept = self._kept
        if kept is None or kept[0] is not source:
            kept = self._kept = (source, self.derive(source))
        return kept[1]
