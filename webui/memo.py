"""Values kept instead of worked out again by every page, frame or request.

`Latest`: one value derived from an object, kept until asked about another object. For what
would otherwise be worked out again from the same snapshot (or the same member list in it): at
1,000 members, the upgrade status every page's alerts show was a third of a member page's time,
and encoding the API's member list most of that call.

`Kept`: rendered fragments, one per slot (a member's row cells, its charts), each kept with
what it was rendered from and rendered again only when that changed."""

from collections.abc import Callable, Hashable
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


class Kept(Generic[V]):
    def __init__(self, limit: int) -> None:
        self.limit = limit  # slots kept at most: the oldest renders go first (members long gone)
        self._slots: dict[Hashable, tuple[object, V]] = {}

    def get(self, slot: Hashable, key: object, derive: Callable[[], V]) -> V:
        """The slot's value if it was derived for an equal `key`, else `derive()`, kept."""
        kept = self._slots.get(slot)
        if kept is not None and kept[0] == key:
            return kept[1]
        value = derive()
        self._slots.pop(slot, None)
        self._slots[slot] = (key, value)
        if len(self._slots) > self.limit:
            del self._slots[next(iter(self._slots))]
        return value

    def forget(self, slot: Hashable | None = None) -> None:
        """Drop one slot's value, or all of them (benchmarks time a render from nothing)."""
        if slot is None:
            self._slots.clear()
        else:
            self._slots.pop(slot, None)
