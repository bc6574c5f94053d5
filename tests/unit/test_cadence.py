from tests.live_pages import PAGES, member_topic
from webui.live.cadence import due
from webui.live.hub import Hub

NAMES = [f"m{i}" for i in range(1, 41)]


def test_every_member_every_round_while_the_cluster_is_within_the_budget():
    names = NAMES[:16]
    assert due(names, frozenset(), {}, budget=16) == names


def test_a_watched_member_is_asked_every_round_and_the_others_take_turns():
    watched = frozenset({"m40"})
    asked: dict[str, float] = {}
    rounds = []
    for at in range(5):
        chosen = due(NAMES, watched, asked, budget=10)
        asked.update(dict.fromkeys(chosen, float(at)))
        rounds.append(chosen)
    assert all("m40" in chosen and len(chosen) == 11 for chosen in rounds)
    # The 39 others, 10 a round: all asked within four rounds (m1 twice), then again in turn.
    first_four = [n for chosen in rounds[:4] for n in chosen if n != "m40"]
    assert set(first_four) == set(NAMES[:39]) and first_four.count("m1") == 2
    assert rounds[4] == [*NAMES[1:11], "m40"]  # the longest unasked come round again


def test_requests_per_round_stop_growing_with_the_member_count():
    for count in (16, 100, 1000):
        names = [f"m{i}" for i in range(count)]
        assert len(due(names, frozenset({"m1", "m2"}), {}, budget=16)) == min(count, 18)


def test_the_members_whose_page_is_open_are_the_watched_ones():
    hub = Hub(lambda template, context: "", pages=PAGES)
    hub.subscribe([member_topic("m1", "admin")])
    hub.subscribe([member_topic("m2", "auditor"), "members"])
    page = hub.subscribe([member_topic("m3", "admin")])
    hub.unsubscribe(page)
    assert hub.watched() == frozenset({"m1", "m2"})
