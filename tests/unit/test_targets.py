import json
from pathlib import Path

from webui.incus.models import Event, Instance, Member
from webui.live import targets
from webui.live.snapshot import ClusterSnapshot
from webui.live.targets import Target

# Recorded from Incus 6.0.4: `incus cluster edit member2`, then `incus config set s27c1 user.bench=1`.
RECORDED = [
    Event.model_validate(json.loads(line))
    for line in (Path(__file__).parent / "recorded" / "lifecycle_events.jsonl").read_text().splitlines()
]


def lifecycle(action: str, source: str, project: str = "") -> Event:
    return Event(type="lifecycle", location="m1", metadata={"action": action, "source": source, "project": project})


def snapshot() -> ClusterSnapshot:
    return ClusterSnapshot(
        members=(Member(server_name="m1"), Member(server_name="m2", description="old")),
        instances=(Instance(name="a", location="m1", status="Running"), Instance(name="c", location="m2")),
    )


def test_recorded_events_name_the_member_and_the_instance_they_changed():
    assert [targets.named(e) for e in RECORDED] == [Target("member", "member2"), Target("instance", "s27c1", "default")]


def test_events_that_change_the_lists_need_a_full_resync():
    for action, source in [
        ("cluster-member-added", "/1.0/cluster/members/m4"),
        ("cluster-member-removed", "/1.0/cluster/members/m4"),
        ("cluster-member-renamed", "/1.0/cluster/members/m5"),
        ("instance-created", "/1.0/instances/c9"),
        ("instance-deleted", "/1.0/instances/c9"),
        ("instance-migrated", "/1.0/instances/c9"),
        ("config-updated", "/1.0"),
    ]:
        assert targets.named(lifecycle(action, source)) is None, action


def test_an_instance_of_another_project_is_fetched_in_that_project():
    event = lifecycle("instance-stopped", "/1.0/instances/web%201?project=shop", project="shop")
    assert targets.named(event) == Target("instance", "web 1", "shop")


def test_a_fetched_member_replaces_only_itself():
    before = snapshot()
    after = targets.patch(before, Member(server_name="m2", description="new"))
    assert after is not None and after.version == before.version + 1
    assert [m.description for m in after.members] == ["", "new"]
    assert after.member("m1") is before.member("m1")


def test_a_member_unchanged_or_unknown_is_no_update():
    assert targets.patch(snapshot(), Member(server_name="m2", description="old")) is None
    assert targets.patch(snapshot(), Member(server_name="m9")) is None  # membership is the resync's


def test_a_fetched_instance_replaces_its_namesake_or_is_added_in_order():
    stopped = targets.patch(snapshot(), Instance(name="a", location="m1", status="Stopped"))
    assert stopped is not None and [(i.name, i.status) for i in stopped.instances] == [("a", "Stopped"), ("c", "")]
    added = targets.patch(snapshot(), Instance(name="b", location="m2"))
    assert added is not None and [i.name for i in added.instances] == ["a", "b", "c"]


def test_a_resync_keeps_what_a_later_targeted_fetch_patched():
    current = (Member(server_name="m1", description="patched"), Member(server_name="m2", description="patched"))
    replied = [Member(server_name="m1", description="stale"), Member(server_name="m2", description="newer")]
    kept = targets.fresher(replied, current, {Target("member", "m1")})
    assert [m.description for m in kept] == ["patched", "newer"]
