"""Incus's warnings in the snapshot, the filters and counts the page and API share, and the
check on a warning's uuid at the edge; from a reply recorded from the dev cluster."""

from datetime import UTC, datetime

import pytest

from tests.live_pages import PAGES
from tests.unit.replies import recorded_warnings
from webui.incus import names
from webui.incus.errors import IncusError
from webui.incus.models import Event, Member
from webui.live.hub import Hub
from webui.live.snapshot import ClusterSnapshot, diff
from webui.live.warnings import Warnings
from webui.services.errors import Refused
from webui.services.warnings.listing import Filters, filtered, members_warned, new_count, require

MEMBERS = tuple(Member(server_name=f"member{i}", status="Online") for i in (1, 2, 3))


def snapshot(**changes: object) -> ClusterSnapshot:
    return ClusterSnapshot(members=MEMBERS, warnings=tuple(recorded_warnings())).evolve(**changes)


def test_the_recorded_reply_reads_as_incus_warning_list_shows_it():
    found = recorded_warnings()
    assert {w.type for w in found} == {
        "AppArmor support has been disabled", "Couldn't find the CGroup blkio.weight", "Instance type not operational"
    }
    assert {(w.location, w.severity, w.count) for w in found} == {("member1", "low", 1)}
    assert sorted(w.status for w in found) == ["acknowledged", "new", "new"]
    assert all(isinstance(w.last_seen_at, datetime) and w.last_seen_at.tzinfo is not None for w in found)


def test_the_count_is_of_new_warnings_per_member():
    shown = snapshot()
    assert new_count(shown) == 2
    assert new_count(shown, "member1") == 2
    assert new_count(shown, "member2") == 0


def test_filters_keep_what_they_name_and_nothing_else():
    shown = snapshot()
    assert len(filtered(shown, Filters())) == 3
    assert [w.type for w in filtered(shown, Filters(status="acknowledged"))] == ["AppArmor support has been disabled"]
    assert len(filtered(shown, Filters(member="member1", severity="low", status="new"))) == 2
    assert filtered(shown, Filters(member="member2")) == []
    assert filtered(shown, Filters(severity="high")) == []


def test_newest_seen_comes_first():
    seen = [w.last_seen_at for w in filtered(snapshot(), Filters())]
    assert seen == sorted(seen, reverse=True)


def test_a_member_a_warning_names_may_be_filtered_on_after_it_left():
    assert members_warned(snapshot(members=MEMBERS[1:])) == ["member1", "member2", "member3"]


def test_acknowledging_redraws_the_warnings_and_the_member_row():
    before = snapshot()
    new = next(w for w in before.warnings if w.status == "new")
    acknowledged = new.model_copy(update={"status": "acknowledged"})
    after = before.evolve(warnings=tuple(acknowledged if w.uuid == new.uuid else w for w in before.warnings))
    changes = diff(before, after)
    assert changes.warnings and changes
    assert changes.rows == {"member1"}  # its row's count went down


def test_a_warning_seen_again_redraws_the_page_but_no_row():
    before = snapshot()
    first = before.warnings[0]
    again = first.model_copy(update={"count": 2, "last_seen_at": datetime(2027, 1, 1, tzinfo=UTC)})
    changes = diff(before, before.evolve(warnings=(again, *before.warnings[1:])))
    assert changes.warnings
    assert changes.rows == frozenset()


def test_an_unknown_warning_is_refused_in_incus_words():
    with pytest.raises(Refused) as refused:
        require(snapshot(), "00000000-0000-4000-8000-000000000000")
    assert (refused.value.status, refused.value.message) == (404, "Warning not found")


@pytest.mark.parametrize(
    "hostile", ["..", "%2e%2e", "../..", "a/b", "3af46993-234d-4390-826b-877c9f859036/..", "x" * 300, "",
                "3AF46993-234D-4390-826B-877C9F859036", "3af46993-234d-4390-826b-877c9f859036\n"],
)
def test_a_warning_uuid_is_what_incus_makes_and_nothing_else(hostile: str):
    with pytest.raises(names.InvalidName, match="Not a warning id"):
        names.warning_uuid(hostile)


def test_a_real_warning_uuid_passes():
    for warning in recorded_warnings():
        assert names.warning_uuid(warning.uuid) == warning.uuid


class AnsweringIncus:
    """Answers `warnings()` with what the test sets, or fails as Incus would (pure logic only)."""

    def __init__(self, answer: list | IncusError) -> None:
        self.answer = answer
        self.asked = 0

    async def warnings(self) -> list:
        self.asked += 1
        if isinstance(self.answer, IncusError):
            raise self.answer
        return list(self.answer)


async def test_the_reader_keeps_the_list_and_publishes_only_a_change():
    hub = Hub(lambda template, context: "", 4, pages=PAGES)
    incus = AnsweringIncus(list(reversed(recorded_warnings())))
    reader = Warnings(incus, hub)
    await reader.refresh()
    first = hub.snapshot
    assert [w.first_seen_at for w in first.warnings] == sorted(w.first_seen_at for w in recorded_warnings())
    await reader.refresh()
    assert hub.snapshot is first  # the same list: nothing redrawn
    incus.answer = IncusError(503, "Cluster member isn't responding")
    await reader.refresh()
    assert hub.snapshot is first  # Incus not answering: the last list stays shown


async def test_the_reader_reads_again_on_a_warning_event_only():
    hub = Hub(lambda template, context: "", 4, pages=PAGES)
    incus = AnsweringIncus(recorded_warnings())
    reader = Warnings(incus, hub)
    for action in ("warning-acknowledged", "warning-reset", "warning-deleted", "warning-created"):
        await reader.on_event(Event(type="lifecycle", metadata={"action": action, "source": "/1.0/warnings/x"}))
    await reader.on_event(Event(type="lifecycle", metadata={"action": "cluster-member-updated"}))
    await reader.on_event(Event(type="operation", metadata={"id": "x"}))
    assert incus.asked == 4
