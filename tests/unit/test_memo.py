"""Latest: worked out once per object, again for another object, even an equal one. Kept: once
per slot and key."""

from webui.memo import Kept, Latest


def test_a_value_is_worked_out_again_only_for_another_object():
    calls: list[list[int]] = []

    def derive(source: list[int]) -> int:
        calls.append(source)
        return sum(source)

    latest = Latest(derive)
    first, equal = [1, 2], [1, 2]
    assert (latest(first), latest(first)) == (3, 3)
    assert latest(equal) == 3 and latest([5]) == 5
    assert [id(c) for c in calls][:2] == [id(first), id(equal)] and len(calls) == 3


def test_a_kept_value_is_derived_again_when_its_key_changes_and_the_oldest_go_past_the_limit():
    kept: Kept[str] = Kept(limit=2)
    derived: list[str] = []

    def derive(text: str):
        return lambda: derived.append(text) or text

    assert kept.get("a", 1, derive("a1")) == "a1" and kept.get("a", 1, derive("again")) == "a1"
    assert kept.get("a", 2, derive("a2")) == "a2"
    kept.get("b", 1, derive("b1"))
    kept.get("c", 1, derive("c1"))  # a third slot: "a", the oldest render, goes
    assert kept.get("b", 1, derive("again")) == "b1" and kept.get("a", 2, derive("a2 again")) == "a2 again"
    kept.forget("c")
    assert kept.get("c", 1, derive("c1 again")) == "c1 again"
    assert derived == ["a1", "a2", "b1", "c1", "a2 again", "c1 again"]
