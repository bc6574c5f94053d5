from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from tests.unit.replies import operation_updates
from webui.incus.models import Instance, Member, MemberState, Operation, SysInfo
from webui.live.snapshot import ClusterSnapshot, diff, merge_operations


def member(name: str, **fields: object) -> Member:
    return Member(server_name=name, status="Online", **fields)


def snapshot(*members: Member, **fields: object) -> ClusterSnapshot:
    return ClusterSnapshot(members=members, reachable=True, **fields)


def test_identical_snapshots_have_no_changes():
    a = snapshot(member("m1"), member("m2"))
    assert not diff(a, a.evolve())


def test_a_changed_member_changes_only_its_row():
    old = snapshot(member("m1"), member("m2"))
    new = snapshot(member("m1", description="hello"), member("m2"))
    changes = diff(old, new)
    assert changes.rows == {"m1"}
    assert changes.details == {"m1"}
    assert not changes.membership and not changes.status


def test_state_and_instances_change_the_member_page_not_the_row():
    old = snapshot(member("m1"))
    new = snapshot(
        member("m1"),
        states={"m1": MemberState(sysinfo=SysInfo(uptime=5))},
        instances=(Instance(name="c1", location="m1"),),
    )
    changes = diff(old, new)
    assert changes.rows == set()
    assert changes.details == {"m1"}


def test_added_and_removed_members_change_membership():
    old = snapshot(member("m1"), member("m2"))
    new = snapshot(member("m1"), member("m3"))
    changes = diff(old, new)
    assert changes.membership
    assert changes.details == {"m2", "m3"}


def test_losing_incus_changes_the_banner():
    old = snapshot(member("m1"))
    new = old.evolve(reachable=False, error="Incus is unreachable")
    assert diff(old, new).status


def test_the_member_in_use_is_part_of_its_row():
    old = snapshot(member("m1"), member("m2"), server_name="m1")
    new = snapshot(member("m1"), member("m2"), server_name="m2")
    changes = diff(old, new)
    assert changes.rows == {"m1", "m2"}
    assert changes.status


def test_leader_and_instances_on():
    s = snapshot(
        member("m1", roles=["database"]),
        member("m2", roles=["database-leader", "database"]),
        instances=(Instance(name="a", location="m1"), Instance(name="b", location="m2")),
    )
    assert s.leader == "m2"
    assert [i.name for i in s.instances_on("m1")] == ["a"]


def test_an_operation_that_ended_is_not_brought_back_by_a_late_running_reply():
    # Incus 7.0: an evacuation with nothing to move ends (its Success event) before the POST
    # that started it has returned its "Running" operation.
    start = datetime(2026, 12, 1, 17, 47, 35, tzinfo=UTC)
    running = Operation(id="op", description="Evacuating cluster member", status="Running",
                        created_at=start, updated_at=start)
    ended = running.model_copy(update={"status": "Success", "updated_at": start + timedelta(seconds=1)})
    merged = merge_operations(merge_operations((), [ended], at=start), [running], at=start)
    assert [op.status for op in merged] == ["Success"]


def test_a_started_operation_is_not_taken_back_to_pending_by_an_event_relayed_late():
    # `incus cluster add` on member1, as member2 relayed it: Running came before Pending, both
    # stamped with one time; then the revoke's Cancelling and Cancelled.
    running, pending, cancelling, cancelled = operation_updates("join_token_events.jsonl")
    assert (running.status, pending.status, running.updated_at) == ("Running", "Pending", pending.updated_at)
    at = running.updated_at
    merged = merge_operations(merge_operations((), [running], at=at), [pending], at=at)
    assert [op.status for op in merged] == ["Running"]
    for update in (cancelling, cancelled):
        merged = merge_operations(merged, [update], at=at)
    assert [op.status for op in merged] == ["Cancelled"]


def test_a_newer_state_of_an_operation_replaces_an_older_one():
    start = datetime(2026, 12, 1, 17, 47, 35, tzinfo=UTC)
    running = Operation(id="op", status="Running", created_at=start, updated_at=start)
    later = running.model_copy(update={"metadata": {"progress": "1/2"}, "updated_at": start + timedelta(seconds=1)})
    assert merge_operations([running], [later], at=start)[0].metadata == {"progress": "1/2"}
    assert merge_operations([later], [running], at=start)[0].metadata == {"progress": "1/2"}


def test_a_members_maintenance_is_its_latest_run():
    first, other, latest = (SimpleNamespace(member=m, id=i) for m, i in (("m1", "a"), ("m2", "b"), ("m1", "c")))
    s = snapshot(member("m1"), member("m2"), member("m3"), maintenance=(first, other, latest))
    assert [s.maintenance_of(name) for name in ("m1", "m2", "m3")] == [latest, other, None]
