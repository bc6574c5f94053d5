from webui.incus.models import Instance, Member, Operation
from webui.live.snapshot import ClusterSnapshot
from webui.services.members.rules import (
    available_actions,
    changed_fields,
    invalid_member_fields,
)


def member(name: str, status: str = "Online", roles: list[str] | None = None) -> Member:
    return Member(server_name=name, status=status, roles=roles or [])


def cluster(*members: Member, instances=(), operations=(), server_name="m1") -> ClusterSnapshot:
    return ClusterSnapshot(
        members=members, instances=tuple(instances), operations=tuple(operations),
        server_name=server_name, reachable=True,
    )


def test_an_online_member_can_be_evacuated_not_restored():
    s = cluster(member("m1"), member("m2"))
    reasons = available_actions(s, s.members[1])
    assert reasons["evacuate"] == ""
    assert reasons["restore"] == "Only an evacuated member can be restored"


def test_an_evacuated_member_can_be_restored_not_evacuated():
    s = cluster(member("m1"), member("m2", "Evacuated"))
    reasons = available_actions(s, s.members[1])
    assert reasons["restore"] == ""
    assert reasons["evacuate"] == "The member is already evacuated"


def test_a_running_evacuation_blocks_both():
    running = Operation(id="x", description="Evacuating cluster member", status="Running", location="m2")
    s = cluster(member("m1"), member("m2"), operations=[running])
    reasons = available_actions(s, s.members[1])
    assert reasons["evacuate"] == reasons["restore"] == "Evacuating cluster member is in progress"


def test_remove_needs_an_online_empty_member_and_force_remove_an_offline_one():
    s = cluster(member("m1"), member("m2"), member("m3", "Offline"), instances=[Instance(name="c", location="m2")])
    assert "still has 1 instance:" in available_actions(s, s.members[1])["remove"]
    assert available_actions(s, s.members[0])["remove"] == ""
    assert available_actions(s, s.members[2])["remove"] == "The member is offline: use force-remove"
    assert available_actions(s, s.members[2])["force-remove"] == ""
    assert available_actions(s, s.members[0])["force-remove"] == "Only an offline member can be force-removed"


def test_the_last_member_cannot_be_removed():
    s = cluster(member("m1"))
    assert available_actions(s, s.members[0])["remove"] == "The last member of a cluster cannot be removed"


def test_member_fields_are_checked_like_incus_does():
    good = {"roles": ["database", "event-hub"], "failure_domain": "default", "groups": ["default"],
            "config": {"scheduler.instance": "manual", "user.rack": "7"}}
    assert invalid_member_fields(good) == ""
    assert "bogus" in invalid_member_fields({**good, "config": {"bogus": "1"}})
    assert "scheduler.instance" in invalid_member_fields({**good, "config": {"scheduler.instance": "x"}})
    assert invalid_member_fields({**good, "roles": ["king"]}) == 'Invalid cluster role "king"'
    assert invalid_member_fields({**good, "groups": []}) == "Cluster members need to belong to at least one group"
    assert invalid_member_fields({**good, "failure_domain": " "}) == "Failure domain name can't be empty"


def test_changed_fields_ignore_a_new_database_leader():
    before = {"roles": ["database-leader", "database"], "description": "a", "groups": ["default"]}
    after = {"roles": ["database"], "description": "b", "groups": ["default"]}
    assert changed_fields(before, after) == ["description"]
