"""The guided rolling upgrade's steps, over snapshots shaped as a real 6.0 -> 7.0 upgrade
shows them: the upgraded member waits silent while the others are Blocked."""

import re
from dataclasses import replace

from webui.incus.models import Instance, Member, Server
from webui.live.snapshot import ClusterSnapshot
from webui.services.upgrade import plan as r

NAMES = ("m1", "m2", "m3")
BLOCKED = "Needs updating to newer version"


def cluster(
    statuses: dict[str, str], versions: dict[str, str], silent: frozenset[str] = frozenset()
) -> ClusterSnapshot:
    return ClusterSnapshot(
        members=tuple(
            Member(
                server_name=n, status=statuses.get(n, "Online"), message=BLOCKED if statuses.get(n) == "Blocked" else ""
            )
            for n in NAMES
        ),
        servers={n: Server(environment={"server_version": versions.get(n, "6.0.4")}) for n in NAMES},
        silent=silent,
        instances=(Instance(name="c1", location="m1", status="Running"),),
    )


def step(plan: r.Plan, name: str) -> r.MemberStep:
    return next(m for m in plan.members if m.name == name)


def test_it_refuses_to_start_while_a_member_is_offline():
    assert "m2 is offline" in r.refusal(cluster({"m2": "Offline"}, {}))
    assert r.refusal(cluster({}, {})) == ""


def test_it_refuses_to_start_before_every_members_version_is_known():
    """A plan started with an unknown version took any answer for the upgraded version: the
    member just evacuated was restored before it was upgraded."""
    snapshot = cluster({}, {})
    unread = snapshot.evolve(servers={n: v for n, v in snapshot.servers.items() if n != "m2"})
    assert r.refusal(unread) == "The version of m2 has not been read yet: try again in a few seconds."


def test_each_member_is_evacuated_upgraded_detected_and_restored_in_turn():
    plan = r.plan(cluster({}, {}), "stop")
    assert [(m.name, m.from_version) for m in plan.members] == [("m1", "6.0.4"), ("m2", "6.0.4"), ("m3", "6.0.4")]
    plan, action = r.advance(plan, cluster({}, {}))
    assert action == r.Action("evacuate", "m1", "stop") and step(plan, "m1").state == r.EVACUATING
    plan, action = r.advance(plan, cluster({"m1": "Evacuated"}, {}))
    assert action is None and (step(plan, "m1").state, step(plan, "m1").evacuated) == (r.UPGRADE, True)
    # m1 restarted on 7.0: it waits, silent; m2 and m3 are Blocked.
    waiting = cluster({"m1": "Evacuated", "m2": "Blocked", "m3": "Blocked"}, {}, silent=frozenset({"m1"}))
    plan, _ = r.advance(plan, waiting)
    assert step(plan, "m1").state == r.WAITING
    plan, action = r.advance(plan, waiting)
    assert action is None and step(plan, "m2").state == r.UPGRADE and step(plan, "m2").note == r.BLOCKED_NOTE
    assert plan.current is not None and plan.current.name == "m2"
    waiting = cluster({"m1": "Evacuated", "m3": "Blocked"}, {}, silent=frozenset({"m1", "m2"}))
    plan, _ = r.advance(plan, waiting)
    plan, _ = r.advance(plan, waiting)
    assert [m.state for m in plan.members] == [r.WAITING, r.WAITING, r.UPGRADE]
    # The last one upgraded: all answer with 7.0.2; m1 was evacuated, so it is restored.
    back = cluster({"m1": "Evacuated"}, dict.fromkeys(NAMES, "7.0.2"))
    plan, action = r.advance(plan, back)
    assert action == r.Action("restore", "m1")
    plan, action = r.advance(plan, back)
    assert action is None and step(plan, "m1").state == r.RESTORING  # once
    plan, _ = r.advance(plan, cluster({}, dict.fromkeys(NAMES, "7.0.2")))
    plan, _ = r.advance(plan, cluster({}, dict.fromkeys(NAMES, "7.0.2")))
    assert [m.state for m in plan.members] == [r.DONE] * 3 and plan.done == 3
    plan, _ = r.advance(plan, cluster({}, dict.fromkeys(NAMES, "7.0.2")))
    assert plan.outcome == r.FINISHED


def test_a_passing_view_of_members_restarting_takes_no_action():
    """Seen in the real 6.0 -> 7.0 test: right after m2 restarts, the member list may show m3
    Offline (or blocked no more). The guide tried to evacuate m3, Incus could not, and the
    step failed; it must wait, then upgrade m3 in place."""
    plan = r.Plan(
        mode="stop",
        members=(
            r.MemberStep("m1", "6.0.4", r.WAITING, evacuated=True),
            r.MemberStep("m2", "6.0.4", r.WAITING),
            r.MemberStep("m3", "6.0.4"),
        ),
    )
    silent = frozenset({"m1", "m2"})
    for passing in ({"m1": "Evacuated", "m3": "Offline"}, {"m1": "Evacuated"}):
        later, action = r.advance(plan, cluster(passing, {}, silent=silent))
        assert action is None and step(later, "m3").state in (r.PENDING, r.UPGRADE), passing
    later, action = r.advance(plan, cluster({"m1": "Evacuated", "m3": "Blocked"}, {}, silent=silent))
    assert action is None and (step(later, "m3").state, step(later, "m3").note) == (r.UPGRADE, r.BLOCKED_NOTE)
    # Everyone back on 7.0 but m1 still seen Offline: its restore waits rather than being skipped.
    back = r.Plan(mode="stop", members=(r.MemberStep("m1", "6.0.4", r.RESTORE, evacuated=True),))
    assert r.advance(back, cluster({"m1": "Offline"}, dict.fromkeys(NAMES, "7.0.2"))) == (back, None)


def test_a_cancelled_upgrade_takes_no_action():
    plan = r.Plan(mode="stop", members=(r.MemberStep("m1", "6.0.4"),), outcome=r.CANCELLED)
    assert r.advance(plan, cluster({}, {})) == (plan, None)


def test_the_dashboards_member_and_the_database_leader_come_last_and_say_why():
    """Seen on a real cluster: the order started with the database leader, which was also the
    member the dashboard talks to."""
    snapshot = cluster({}, {})
    leader = [m.model_copy(update={"roles": ["database-leader", "database"]}) if m.server_name == "m1" else m
              for m in snapshot.members]
    both = r.plan(snapshot.evolve(members=tuple(leader), server_name="m1"), "stop")
    assert [m.name for m in both.members] == ["m2", "m3", "m1"]
    assert both.members[-1].why.startswith("Last: the dashboard talks to this member")
    assert "the database leader" in both.members[-1].why
    assert [m.why for m in both.members[:2]] == ["", ""]
    apart = r.plan(snapshot.evolve(members=tuple(leader), server_name="m2"), "stop")
    assert [m.name for m in apart.members] == ["m3", "m1", "m2"]
    assert apart.members[1].why.startswith("Next to last: it is the database leader")
    assert apart.members[2].why.startswith("Last: the dashboard talks to this member")


def test_with_one_version_everywhere_there_is_nothing_to_do():
    snapshot = cluster({}, {})
    assert r.nothing_to_do(snapshot) == "Every member runs Incus 6.0.4: there is nothing to upgrade."
    assert r.propose(snapshot, "stop", "").refused == (
        "Every member runs Incus 6.0.4: name the newer version you are about to install."
    )
    assert r.propose(snapshot, "stop", "6.0").refused == "Every member runs Incus 6.0.4 already: 6.0 is not newer."
    assert "is not a version" in r.propose(snapshot, "stop", "latest").refused
    newer = r.propose(snapshot, "stop", "7.0")
    assert (newer.refused, newer.running, newer.target) == ("", "6.0.4", "7.0")


def test_members_behind_the_newest_version_are_something_to_do():
    snapshot = cluster({}, {"m1": "6.0.5"})
    assert r.nothing_to_do(snapshot) == ""
    proposal = r.propose(snapshot, "skip", "")
    assert (proposal.refused, proposal.target, proposal.running) == ("", "6.0.5", "6.0.4, 6.0.5")


def test_after_cancel_no_row_tells_anyone_to_act():
    """Seen on a real cluster: after Cancel, the member the guide had reached still read
    "upgrade it now"."""
    steps = tuple(r.MemberStep(f"m{n}", "6.0.4", state) for n, state in enumerate(r.WORDS))
    running = r.Plan(mode="stop", members=steps)
    assert running.words(steps[2]) == "upgrade it now: the package, then restart the daemon"
    cancelled = replace(running, outcome=r.CANCELLED)
    for step in steps:
        words = cancelled.words(step)
        assert not re.search(r"\bnow\b|upgrade it|restore it|: restoring", words), (step.state, words)
