"""The rings behind the sparklines and charts: bounded, in time order, cut by time."""

import pytest

from webui.incus.models import MemberState
from webui.live.trends import DAY_BUCKET, HOUR, Ring, Trend, Trends


def state(load: float = 0.5, used: int = 3, total: int = 8, pools: dict[str, tuple[int, int]] | None = None):
    return MemberState.model_validate(
        {
            "sysinfo": {"load_averages": [load, 0.1, 0.1], "total_ram": total, "free_ram": total - used},
            "storage_pools": {n: {"space": {"used": u, "total": t}} for n, (u, t) in (pools or {}).items()},
        }
    )


def test_a_ring_keeps_the_newest_points_oldest_first():
    ring = Ring(3)
    for at in range(5):
        ring.append(float(at), at * 10.0)
    times, values = ring.series()
    assert list(times) == [2.0, 3.0, 4.0] and list(values) == [20.0, 30.0, 40.0]
    assert len(ring) == 3


def test_a_ring_not_yet_full_gives_what_it_has_and_cuts_by_time():
    ring = Ring(10)
    for at in (100.0, 110.0, 120.0):
        ring.append(at, at)
    assert list(ring.series(since=105.0)[0]) == [110.0, 120.0]
    assert list(ring.series(since=121.0)[0]) == []


def test_an_empty_ring_is_refused():
    with pytest.raises(ValueError):
        Ring(0)


def test_the_hour_keeps_every_sample_of_the_last_hour_only():
    trend = Trend(interval=10.0)
    start = 1_000_000.0
    for i in range(400):  # 4,000 s of samples
        trend.add(start + 10 * i, float(i), scale=4.0)
    now = start + 10 * 399
    times, values = trend.hour(now)
    assert times[0] >= now - HOUR and times[-1] == now
    assert len(times) == 361  # every 10 s for an hour, both ends included
    assert trend.scale == 4.0


def test_the_day_keeps_bucket_means_and_shows_the_open_bucket_last():
    trend = Trend(interval=100.0)
    start = 3_000_000.0  # a multiple of the 300 s bucket
    for i, value in enumerate([1.0, 2.0, 3.0, 10.0, 20.0]):
        trend.add(start + 100 * i, value, scale=1.0)
    times, values = trend.day(start + 400)
    assert list(times) == [start, start + DAY_BUCKET]
    assert list(values) == [2.0, 15.0]  # (1+2+3)/3, then the bucket being filled: (10+20)/2


def test_a_member_gets_load_memory_and_a_trend_per_pool_and_loses_deleted_pools():
    trends = Trends(interval=10.0)
    trends.record("m1", 100.0, state(pools={"local": (1, 4), "fast": (2, 8)}), cpus=4)
    trends.record("m1", 110.0, state(load=0.7, pools={"local": (2, 4)}), cpus=4)
    member = trends.of("m1")
    assert member is not None and member.samples == 2
    assert list(member.load.hour(110.0)[1]) == [0.5, 0.7] and member.load.scale == 4
    assert list(member.memory.hour(110.0)[1]) == [3.0, 3.0] and member.memory.scale == 8
    assert sorted(member.pools) == ["local"]  # "fast" went away
    assert list(member.pools["local"].hour(110.0)[1]) == [1.0, 2.0]


def test_members_that_left_are_forgotten():
    trends = Trends()
    trends.record("m1", 1.0, state(), 2)
    trends.record("m2", 1.0, state(), 2)
    trends.retain(["m2"])
    assert trends.of("m1") is None and trends.of("m2") is not None


def test_a_sample_records_only_the_members_asked_not_the_older_states_kept_for_the_rest():
    from webui.incus.models import Member
    from webui.live.snapshot import ClusterSnapshot

    trends = Trends()
    snapshot = ClusterSnapshot(
        members=(Member(server_name="m1"), Member(server_name="m2")),
        states={"m1": state(), "m2": state(load=0.9)},
    )
    trends.sample(snapshot, ["m1"])
    trends.sample(snapshot, ["m1", "m2"])
    asked_twice, asked_once = trends.of("m1"), trends.of("m2")
    assert asked_twice is not None and asked_twice.samples == 2
    assert asked_once is not None and asked_once.samples == 1
