"""`evacuation_progress` read as Incus 7.2 and later write it while an instance is copied
(`Migrating "c1" in project "default" to "member1": Unpacking image: 54% (5.73MB/s)`, from
evacuationProgressHandler in `cmd/incusd/api_cluster_evacuation.go`), and the instance-by-instance
inference kept for the Incus that sends a bare `progress` map instead (6.0.4, recorded).

No Incus here runs 7.2: its updates are the recorded 6.0.4 run's, each bare progress map turned
into the line 7.2 writes in its place, with the same figures."""

from tests.unit.replies import evacuation_updates
from tests.unit.test_maintenance import before
from webui.incus.models import Operation
from webui.services.maintenance import runs as m

COPY = "s13c2: 45.30MB (10.50MB/s)"  # progressWrapperRender's words for a copy of files


def as_7_2(updates: list[Operation]) -> list[Operation]:
    """The same run as Incus 7.2 reports it: the copy's own words after the step it belongs to."""
    said, out = "", []
    for operation in updates:
        meta = dict(operation.metadata or {})
        if isinstance(meta.get("evacuation_progress"), str):
            said = meta["evacuation_progress"]
        copy = next((v for k, v in meta.items() if k.endswith("_progress") and k != "evacuation_progress"), None)
        if copy:
            meta = {"evacuation_progress": f"{said}: {copy}"}
        out.append(operation.model_copy(update={"metadata": meta}))
    return out


def test_the_copy_progress_incus_7_2_words_is_read_from_evacuation_progress():
    updates = as_7_2(evacuation_updates())
    run = m.begin(updates[0], before())
    seen = []
    for operation in updates:
        run = m.advance(run, operation)
        text = (operation.metadata or {}).get("evacuation_progress", "")
        if text.startswith("Migrating") and "%" in text:
            name = text.split('"')[1]
            step = run.step("default", name)
            assert step is not None and step.state == m.MIGRATING and step.detail == text.split('": ', 1)[1]
            seen.append((name, step.percent, step.speed, step.member))
    assert len(seen) >= 5, "each copy of the recording, in 7.2's words"
    assert ("s13c2", 54, 5730000, "member1") in seen  # "Unpacking image: 54% (5.73MB/s)", to member1
    assert all(step.detail == "" for step in run.instances if step.done)  # settled: the copy's words are gone


def test_older_servers_still_pin_the_bare_progress_on_the_instance_being_migrated():
    updates = evacuation_updates()
    run = m.begin(updates[0], before())
    for operation in updates:
        run = m.advance(run, operation)
        if "progress" in (operation.metadata or {}):
            moving = [s for s in run.instances if s.percent is not None and s.state == m.MIGRATING]
            assert len(moving) == 1 and moving[0].detail == ""


def test_a_migration_copy_without_a_percentage_keeps_incus_words_and_its_speed():
    start = Operation(
        id="op", description="Evacuating cluster member", location="member2", status="Running",
        metadata={"evacuation_progress": f'Migrating "s13c2" in project "default" to "member1": {COPY}'},
    )
    run = m.advance(m.begin(start, before()), start)
    step = run.step("default", "s13c2")
    assert step is not None and (step.state, step.member, step.percent) == (m.MIGRATING, "member1", None)
    assert (step.detail, step.speed) == (COPY, 10500000)
