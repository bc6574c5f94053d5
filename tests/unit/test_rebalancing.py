"""What Incus's rebalancing would decide (clusterRebalance, clusterRebalanceServers in
cmd/incusd/api_cluster_rebalance.go), from members' figures and the instances on the busiest."""

from datetime import UTC, datetime

from webui.incus.models import Instance, Member, Server
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance.rebalance_score import Figures
from webui.services.maintenance.rebalancing import assess, expiry, last_moves, where_now

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
GIB = 2**30


def member(name: str) -> Member:
    leader = ["database-leader"] if name == "m1" else []
    return Member(server_name=name, status="Online", architecture="x86_64", roles=leader)


def vm(name: str, stateful: bool = True, last_move: str = "", **config: str) -> Instance:
    expanded = {"migration.stateful": "true"} if stateful else {}
    own = {"volatile.rebalance.last_move": last_move} if last_move else {}
    root = {"root": {"type": "disk", "path": "/", "pool": "local"}}
    return Instance(name=name, location="m1", type="virtual-machine", status="Running", config=own,
                    expanded_config={**expanded, **config}, expanded_devices=root)


def figures(name: str, memory_percent: int, load: float = 0.0) -> Figures:
    return Figures(name, "x86_64", memory_percent, 100, load, 4)


def snapshot(*instances: Instance, **config: str) -> ClusterSnapshot:
    members = (member("m1"), member("m2"), member("m3"))
    return ClusterSnapshot(members=members, instances=instances, server=Server(config=config))


def test_members_are_ranked_and_the_threshold_decides():
    # m1: (80 + 0) / 2 = 40; m2: 30 / 2 = 15; m3: 10 / 2 = 5. 5 is 87 % under 40.
    result = assess(snapshot(vm("v1")), [figures("m2", 30), figures("m1", 80), figures("m3", 10)], frozenset(), AT, [])
    [side] = result.sides
    assert [s.figures.member for s in side.members] == ["m1", "m2", "m3"]
    assert [s.score.total for s in side.members] == [40, 15, 5]
    assert side.moves and side.difference == 87 and side.target_score == 22
    assert result.next_moves == ("v1 (project default) live from m1 to m3",)
    assert not result.enabled  # cluster.rebalance.interval unset: off


def test_under_the_threshold_nothing_moves():
    result = assess(snapshot(vm("v1"), **{"cluster.rebalance.threshold": "90"}),
                    [figures("m1", 80), figures("m3", 10)], frozenset(), AT, [])
    assert not result.sides[0].moves and result.next_moves == ()
    assert "under the 90 % threshold" in result.sides[0].verdict


def test_candidates_are_live_migratable_vms_out_of_their_cooldown_and_within_the_batch():
    recent = str(int(AT.timestamp()) - 3600)  # an hour ago: inside the default 6H cooldown
    old = str(int(AT.timestamp()) - 7 * 3600)
    instances = (
        vm("a-stateless", stateful=False), vm("b-recent", last_move=recent), vm("c-old", last_move=old),
        vm("d-next"), Instance(name="e-container", location="m1", type="container", status="Running"),
    )
    result = assess(snapshot(*instances), [figures("m1", 80), figures("m3", 10)], frozenset(), AT, [])
    side = result.sides[0]
    words = {c.instance.name: (c.moves, c.why) for c in side.candidates}
    assert words["a-stateless"] == (False, "not live-migratable (migration.stateful is not set)")
    assert words["b-recent"][1] == "in its cooldown until 2026-12-07 17:00 UTC"
    assert words["c-old"][0] is True
    assert words["d-next"] == (False, "beyond this run's batch (cluster.rebalance.batch)")
    assert "e-container" not in words and side.containers == 1
    assert result.next_moves == ("c-old (project default) live from m1 to m3",)


def test_a_bad_last_move_would_fail_incus_run():
    result = assess(snapshot(vm("v1", last_move="soon")), [figures("m1", 80), figures("m3", 10)], frozenset(), AT, [])
    assert result.problems == ("Failed to parse last_move value (v1: 'soon')",)


def test_the_cooldown_follows_incus_expiry_format():
    start = datetime(2026, 1, 31, tzinfo=UTC)
    assert expiry(start, "6H") == datetime(2026, 1, 31, 6, tzinfo=UTC)
    assert expiry(start, "1m") == datetime(2026, 3, 3, tzinfo=UTC)  # Go's AddDate normalises
    assert expiry(start, "1d 2w 3M") == datetime(2026, 2, 15, 0, 3, tzinfo=UTC)
    for bad in ("6h", "1H 2H", "H"):
        try:
            expiry(start, bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_one_member_of_an_architecture_has_nothing_to_balance_against():
    result = assess(snapshot(), [figures("m1", 80)], frozenset(), AT, [])
    assert result.sides[0].verdict == "only one x86_64 member: nothing to balance it against"


def test_incus_own_record_of_moves_is_read_newest_first():
    moved = (vm("old", last_move="1796025600"), vm("new", last_move="1796112000"), vm("never"))
    shot = snapshot(*moved)
    assert [(i.name, at.day) for i, at in last_moves(shot)] == [("new", 1), ("old", 30)]
    assert where_now(shot, "default", "old") == "m1" and where_now(shot, "default", "gone") == ""
