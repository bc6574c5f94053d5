"""The maintenance model, fed the events a real Incus 6.0.4 sent while `incus cluster evacuate
member2 --action migrate` moved seven containers (recorded with `incus monitor`)."""

from dataclasses import replace

from tests.unit.replies import evacuation_updates
from webui.incus.models import Instance, Operation
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance import runs as m

NAMES = ["s13c2", "s13c4", "s13c5", "s13c6", "s13c7", "s13c8", "s13c9"]
WENT_TO = {
    "s13c2": "member1",
    "s13c4": "member3",
    "s13c5": "member1",
    "s13c6": "member3",
    "s13c7": "member1",
    "s13c8": "member3",
    "s13c9": "member1",
}


def before() -> ClusterSnapshot:
    on2 = [Instance(name=n, location="member2", status="Running") for n in NAMES]
    return ClusterSnapshot(instances=(Instance(name="s13c1", location="member1", status="Running"), *on2))


def test_the_run_plans_the_instances_on_the_member_and_counts_them_as_they_move():
    updates = evacuation_updates()
    run = m.begin(updates[0], before())
    assert (run.member, run.kind, run.total, run.done) == ("member2", m.EVACUATE, 7, 0)
    seen_done = []
    seen_states = set()
    for operation in updates[:-1]:
        run = m.advance(run, operation)
        seen_done.append(run.done)
        seen_states |= {s.state for s in run.instances}
    assert seen_done == sorted(seen_done) and seen_done[-1] == 6  # the last one is starting
    assert {m.STOPPING, m.MIGRATING, m.STARTING, m.STARTED} <= seen_states
    assert run.step("default", "s13c9").state == m.STARTING
    assert [(s.name, s.member) for s in run.instances if s.done] == [(n, WENT_TO[n]) for n in NAMES[:-1]]


def test_copy_progress_attaches_to_the_instance_being_migrated():
    updates = evacuation_updates()
    run = m.begin(updates[0], before())
    with_progress = []
    for operation in updates:
        run = m.advance(run, operation)
        if "progress" in (operation.metadata or {}):
            moving = [s for s in run.instances if s.percent is not None and s.state == m.MIGRATING]
            with_progress.append((moving[0].percent, moving[0].speed, moving[0].stage))
    assert with_progress, "the recording holds copy progress"
    assert all(
        isinstance(p, int) and isinstance(b, int) and st == "create_instance_from_image_unpack"
        for p, b, st in with_progress
    )


def test_the_end_settles_every_instance_where_incus_put_it():
    updates = evacuation_updates()
    run = m.begin(updates[0], before())
    for operation in updates:
        run = m.advance(run, operation)
    assert updates[-1].status == "Success"
    after = tuple(Instance(name=n, location=WENT_TO[n], status="Running") for n in NAMES)
    run = m.finish(run, updates[-1], after)
    assert (run.outcome, run.done, run.total, run.percent) == (m.SUCCEEDED, 7, 7, 100)
    assert {s.state for s in run.instances} == {m.STARTED}
    assert run.step("default", "s13c9").member == "member1"


def test_a_failed_run_pins_incus_error_on_the_instance_it_was_moving():
    updates = evacuation_updates()
    run = m.begin(updates[0], before())
    for operation in updates[:5]:
        run = m.advance(run, operation)
    busy = [s.name for s in run.instances if s.active]
    failed = updates[5].model_copy(update={"status": "Failure", "err": "Failed to migrate: no space left"})
    run = m.finish(run, failed, before().instances)
    assert run.outcome == "failed" and run.error == "Failed to migrate: no space left"
    assert [(s.name, s.error) for s in run.instances if s.state == m.FAILED] == [
        (busy[0], "Failed to migrate: no space left")
    ]
    assert {s.state for s in run.instances if s.name not in busy and not s.done} <= {m.LEFT}


def test_a_stopped_instance_stays_stopped_though_the_next_restore_already_started_it():
    evacuation = Operation(id="e", description="Evacuating cluster member", location="member2", status="Running")
    run = m.begin(evacuation, before())
    for name in NAMES:
        text = f'Stopping "{name}" in project "default"'
        run = m.advance(run, evacuation.model_copy(update={"metadata": {"evacuation_progress": text}}))
    restarted = before().instances  # read at the run's end, once `incus cluster restore` started them
    run = m.finish(run, evacuation.model_copy(update={"status": "Success"}), restarted)
    assert [(s.name, s.state, s.member) for s in run.instances] == [(n, m.STOPPED, "member2") for n in NAMES]


def test_a_restore_reads_from_and_starts_on_the_member_itself():
    restore = Operation(id="r", description="Restoring cluster member", location="member2", status="Running")
    moved = Instance(name="c1", location="member1", status="Running", config={"volatile.evacuate.origin": "member2"})
    stayed = Instance(name="c2", location="member1", status="Running")
    run = m.begin(restore, ClusterSnapshot(instances=(moved, stayed)))
    assert [s.name for s in run.instances] == ["c1"]
    for text in (
        'Migrating "c1" in project "default" from "member1"',
        'Stopping "c1" in project "default"',
        'Starting "c1" in project "default"',
    ):
        run = m.advance(run, restore.model_copy(update={"metadata": {"evacuation_progress": text}}))
    assert run.step("default", "c1").state == m.STARTING
    done = m.finish(
        run, restore.model_copy(update={"status": "Success"}), (moved.model_copy(update={"location": "member2"}),)
    )
    assert (done.step("default", "c1").state, done.step("default", "c1").member) == (m.STARTED, "member2")


def test_a_failure_is_pinned_on_the_instance_incus_names_where_it_still_is_and_is_not_counted_done():
    """`incus cluster evacuate --action live-migrate` of a container without CRIU (Incus 6.0.4)."""
    err = (
        'Failed to evacuate instances: Failed to migrate instance "s13c4" in project "default": Unable to perform '
        "live container migration. CRIU isn't installed on the source server. To migrate the container, stop the "
        "container before migration or install CRIU on the source server"
    )
    evacuation = Operation(id="e", description="Evacuating cluster member", location="member2", status="Running")
    run = m.begin(evacuation, before())
    text = 'Migrating "s13c2" in project "default" to "member1"'  # the dashboard missed s13c4's line
    run = m.advance(run, evacuation.model_copy(update={"metadata": {"evacuation_progress": text}}))
    run = m.finish(run, evacuation.model_copy(update={"status": "Failure", "err": err}), before().instances)
    assert [(s.name, s.member, s.error) for s in run.failed] == [("s13c4", "member2", err)]
    assert m.step_words(run.failed[0], run.kind) == "failed, now on member2"
    assert run.done < run.total and run.percent < 100  # not a full bar


def test_an_instance_planned_to_move_that_stayed_says_why():
    evacuation = Operation(id="e", description="Evacuating cluster member", location="member2", status="Running")
    run = m.begin(evacuation, before())
    text = 'Stopping "s13c2" in project "default"'
    run = m.advance(run, evacuation.model_copy(update={"metadata": {"evacuation_progress": text}}))
    stopped = tuple(  # s13c2 stopped where it was, the others moved
        i.model_copy(update={"status": "Stopped"} if i.name == "s13c2" else {"location": WENT_TO.get(i.name)})
        for i in before().instances
    )
    asked = replace(run, mode="migrate")
    ended = m.finish(asked, evacuation.model_copy(update={"status": "Success"}), stopped)
    step = ended.step("default", "s13c2")
    assert (step.state, step.member) == (m.STOPPED, "member2")
    assert step.error == (
        "Planned to migrate, it stayed on member2: Incus found no member to take it "
        "(online, open to placement, of its architecture)"
    )
    assert ended.done == ended.total - 1  # not through the run as planned
    unasked = m.finish(run, evacuation.model_copy(update={"status": "Success"}), stopped)  # the CLI: mode unknown
    assert unasked.step("default", "s13c2").error == ""
    by_stop = m.finish(replace(run, mode="stop"), evacuation.model_copy(update={"status": "Success"}), stopped)
    assert by_stop.step("default", "s13c2").error == ""
