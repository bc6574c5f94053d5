"""Latest: worked out once per object, again for another object, even an equal one."""

from webui.memo import Latest


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
