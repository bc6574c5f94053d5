"""Maintenance runs: an evacuation or a restore of one member, followed instance by instance.

Incus reports an evacuation as one long operation ("Evacuating cluster member", located on the
member) whose metadata names the step it is on: `Stopping "c1" in project "default"`, then
`Migrating "c1" in project "default" to "member3"`, then `Starting "c1" ...`, the next
instance's `Stopping` meaning the last one is done. While an instance's files are copied the
metadata holds `progress` (percent, bytes/s, stage) instead, which names no instance: it is
pinned on the one the last step named. A restore reads `Migrating "c1" ... from "member3"`,
`Stopping`, `Starting`. Incus 7.2 and later keep `evacuation_progress` while copying, with the
copy's own words after a colon (`Migrating "c1" in project "default" to "member3": c1: 45.30MB
(10.50MB/s)`, `api_cluster_evacuation.go` evacuationProgressHandler): read when present, the
inference kept for the servers that send `progress` alone (no API extension tells them apart).
Pure: the tracker feeds it, pages render it.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime

from webui.incus.models import Instance, Operation
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance.evacuation_plan import MOVING, action_of, named_instance

EVACUATE = "evacuate"
RESTORE = "restore"
KINDS = {"Evacuating cluster member": EVACUATE, "Restoring cluster member": RESTORE}
# Operations of the instances a run moves: grouped under the run in the operations strip.
CHILD_OPERATIONS = ("Migrating instance", "Starting instance", "Stopping instance", "Creating instance")

WAITING, STOPPING, MIGRATING, STARTING = "waiting", "stopping", "migrating", "starting"
STARTED, STOPPED, LEFT, FAILED = "started", "stopped", "left in place", "failed"
STEPS = (WAITING, STOPPING, MIGRATING, STARTING)  # in the order an instance goes through them
FINAL = (STARTED, STOPPED, LEFT, FAILED)
RUNNING, SUCCEEDED, FAILED_RUN = "running", "succeeded", "failed"
OUTCOMES = {"Success": SUCCEEDED, "Failure": FAILED_RUN, "Cancelled": "cancelled"}

_STEP = re.compile(
    r'^(?P<verb>Stopping|Migrating|Starting) "(?P<name>[^"]+)" in project "(?P<project>[^"]+)"'
    r'(?: (?:to|from) "(?P<member>[^"]+)")?(?:: (?P<detail>.+))?$'
)
# In a copy's words: "Unpacking image: 54% (5.73MB/s)", "c1: 45.30MB (10.50MB/s)" (decimal units).
_PERCENT = re.compile(r"(\d+)%")
_SPEED = re.compile(r"\(([\d.]+)\s*([kMGTPE]?)B/s\)")
_DECIMAL = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}
_VERBS = {"Stopping": STOPPING, "Migrating": MIGRATING, "Starting": STARTING}


@dataclass(frozen=True)
class InstanceStep:
    """One instance of a run: where it is in the run, and, once done, where it ended up."""

    project: str
    name: str
    state: str = WAITING
    member: str = ""  # moving to (evacuate) or from (restore); where it runs at the end
    percent: int | None = None  # while its files are copied
    speed: int | None = None  # bytes/s
    stage: str = ""
    detail: str = ""  # the copy's progress in Incus's words, from `evacuation_progress` (7.2+)
    error: str = ""

    @property
    def done(self) -> bool:
        return self.state in FINAL

    @property
    def active(self) -> bool:
        return self.state in (STOPPING, MIGRATING, STARTING)


@dataclass(frozen=True)
class MaintenanceRun:
    operation_id: str
    member: str
    kind: str  # evacuate or restore
    started_at: datetime | None
    instances: tuple[InstanceStep, ...] = ()
    outcome: str = RUNNING  # running, succeeded, failed, cancelled
    error: str = ""  # Incus's words when it failed
    ended_at: datetime | None = None
    mode: str = ""  # as asked from the dashboard; the incus CLI does not tell
    requestor: str = ""  # Incus's requestor, as incusd logs it (services/accounts/people.py)
    account: str = ""  # the dashboard user who asked (from the audit log), when one did
    acknowledged_at: datetime | None = None  # a failure, seen by someone on the Maintenance page
    acknowledged_by: str = ""

    @property
    def running(self) -> bool:
        return self.outcome == RUNNING

    @property
    def unacknowledged(self) -> bool:
        """A failure nobody has acknowledged yet: the wall display shows it in red."""
        return self.outcome == FAILED_RUN and self.acknowledged_at is None

    @property
    def total(self) -> int:
        return len(self.instances)

    @property
    def done(self) -> int:
        """Instances through the run as planned: a failed one, or one that stayed though
        planned to move (both carry why), is not (a failed run never reads 7/7)."""
        return sum(step.done and not step.error for step in self.instances)

    @property
    def failed(self) -> tuple[InstanceStep, ...]:
        return tuple(step for step in self.instances if step.state == FAILED)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else (0 if self.running else 100)

    @property
    def title(self) -> str:
        """EVACUATING or RESTORING, the word the member row shows while it runs."""
        return "EVACUATING" if self.kind == EVACUATE else "RESTORING"

    def step(self, project: str, name: str) -> InstanceStep | None:
        return next((s for s in self.instances if (s.project, s.name) == (project, name)), None)


def step_words(step: InstanceStep, kind: str) -> str:
    """Where an instance is in a run, as a sentence: "migrating to member3", "started on member1"."""
    if step.state == MIGRATING and step.member:
        return f"migrating {'to' if kind == EVACUATE else 'from'} {step.member}"
    if step.state in (STARTED, STOPPED) and step.member:
        return f"{step.state} on {step.member}"
    if step.state == FAILED and step.member:
        return f"failed, now on {step.member}"
    return step.state


def kind_of(operation: Operation) -> str:
    """evacuate or restore for a member's maintenance operation, "" for anything else."""
    return KINDS.get(operation.description, "")


def planned(kind: str, member: str, instances: tuple[Instance, ...]) -> tuple[InstanceStep, ...]:
    """The instances a run will move, as seen when it starts: those on the member for an
    evacuation; for a restore, those Incus marked as evacuated from it (`volatile.evacuate.origin`)
    and those the evacuation stopped in place."""
    if kind == EVACUATE:
        chosen = [i for i in instances if i.location == member]
    else:
        chosen = [
            i
            for i in instances
            if i.config.get("volatile.evacuate.origin") == member
            or (
                i.location == member
                and i.status == "Stopped"
                and i.config.get("volatile.last_state.power") == "RUNNING"
            )
        ]
    return tuple(InstanceStep(i.project, i.name) for i in sorted(chosen, key=lambda i: (i.project, i.name)))


def begin(operation: Operation, snapshot: ClusterSnapshot) -> MaintenanceRun:
    kind = kind_of(operation)
    return MaintenanceRun(
        operation_id=operation.id,
        member=operation.location,
        kind=kind,
        started_at=operation.created_at,
        instances=planned(kind, operation.location, snapshot.instances),
    )


def _settle(run: MaintenanceRun, step: InstanceStep) -> InstanceStep:
    """An instance the run has moved past: started where it went, or stopped in place."""
    if step.state == STARTING:
        member = run.member if run.kind == RESTORE else step.member or run.member
        return replace(step, state=STARTED, member=member, percent=None, speed=None, detail="", stage="")
    if step.state == STOPPING:
        return replace(step, state=STOPPED, member=run.member)
    return step  # migrating: its Starting comes next, or the run's end settles it


def advance(run: MaintenanceRun, operation: Operation) -> MaintenanceRun:
    """The run after one update of its operation."""
    meta = operation.metadata or {}
    steps = list(run.instances)
    text = meta.get("evacuation_progress")
    if isinstance(text, str) and (match := _STEP.match(text)):
        key = (match["project"], match["name"])
        found = next((n for n, s in enumerate(steps) if (s.project, s.name) == key), None)
        if found is None:  # not planned: created meanwhile, or the run started before we saw it
            steps.append(InstanceStep(*key))
            found = len(steps) - 1
        for n, step in enumerate(steps):
            if n != found and step.active:
                steps[n] = _settle(run, step)
        step = steps[found]
        state = _VERBS[match["verb"]]
        if not step.done and STEPS.index(state) > STEPS.index(step.state):
            step = replace(step, state=state)
        step = replace(step, member=match["member"] or step.member)
        steps[found] = _copying(step, match["detail"]) if match["detail"] else replace(step, detail="")
    progress = meta.get("progress")
    if isinstance(progress, dict):
        moving = [n for n, s in enumerate(steps) if s.state in (MIGRATING, STOPPING)]
        if moving:
            n = moving[-1]
            steps[n] = replace(
                steps[n],
                percent=_int(progress.get("percent")),
                speed=_int(progress.get("speed")),
                stage=str(progress.get("stage", "")),
            )
    return replace(run, instances=tuple(steps))


def finish(run: MaintenanceRun, operation: Operation, instances: tuple[Instance, ...]) -> MaintenanceRun:
    """The run once its operation ended: each instance's outcome from where it is now. A
    failure is pinned on the instance Incus's error names (else the one the run was busy
    with), with that error; an instance the plan moved that stayed says why."""
    outcome = OUTCOMES.get(operation.status, operation.status.lower())
    where = {(i.project, i.name): i for i in instances}
    named = named_instance(operation.err) if outcome != SUCCEEDED else None
    if named not in {(s.project, s.name) for s in run.instances}:
        named = None
    steps = []
    for step in run.instances:
        instance = where.get((step.project, step.name))
        if step.state == FAILED:
            steps.append(step)
            continue
        if outcome != SUCCEEDED and ((step.project, step.name) == named or (named is None and step.active)):
            member = instance.location if instance else step.member  # where it is now, not where it was going
            failed = replace(step, state=FAILED, member=member, error=operation.err or outcome)
            steps.append(replace(failed, percent=None, speed=None, detail=""))
            continue
        settled = _settle(run, step)
        now = _where_it_is(run, settled, instance)
        # Where an instance is now beats what the events said (a dashboard that restarted
        # mid-run missed some), except when it seems left in place while the events saw it
        # stopped or started: the next run (a restore begun as soon as the CLI returned)
        # already put it back.
        if now.state == LEFT and settled.done:
            now = replace(settled, percent=None, speed=None, detail="", stage="")
        steps.append(_against_plan(run, now, instance, outcome))
    return replace(run, instances=tuple(steps), outcome=outcome, error=operation.err, ended_at=operation.updated_at)


def _against_plan(run: MaintenanceRun, step: InstanceStep, instance: Instance | None, outcome: str) -> InstanceStep:
    """An instance the plan moved (by the mode asked from the dashboard: the incus CLI does
    not tell its mode) that stayed on the member, with Incus's reason for it."""
    if run.kind != EVACUATE or not run.mode or instance is None or step.error:
        return step
    if step.state not in (STOPPED, LEFT) or step.member not in ("", run.member):
        return step
    action, _ = action_of(instance, run.mode, frozenset())  # pools unknown here: a remote disk reads "stop"
    if action not in MOVING:
        return step
    why = (
        "the evacuation failed before Incus moved it"
        if outcome != SUCCEEDED
        else "Incus found no member to take it (online, open to placement, of its architecture)"
    )
    return replace(step, error=f"Planned to {action}, it stayed on {run.member}: {why}")


def _where_it_is(run: MaintenanceRun, step: InstanceStep, instance: Instance | None) -> InstanceStep:
    cleared = replace(step, percent=None, speed=None, detail="", stage="")
    if instance is None:
        return replace(cleared, state=FAILED, error="instance not found after the run")
    moved = instance.location != run.member if run.kind == EVACUATE else instance.location == run.member
    if instance.status == "Running":
        return replace(cleared, state=STARTED if moved else LEFT, member=instance.location)
    return replace(cleared, state=STOPPED, member=instance.location)


def _copying(step: InstanceStep, detail: str) -> InstanceStep:
    """The step with the copy's progress as Incus words it, and its figures when it gives them."""
    percent = _PERCENT.search(detail)
    speed = _SPEED.search(detail)
    return replace(
        step,
        detail=detail,
        percent=int(percent[1]) if percent else None,
        speed=round(float(speed[1]) * _DECIMAL[speed[2]]) if speed else None,
        stage="",
    )


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def children(snapshot: ClusterSnapshot, run: MaintenanceRun) -> list[Operation]:
    """The instance operations a run caused: on its instances, since it started."""
    paths = {f"/1.0/instances/{s.name}" for s in run.instances}
    return [
        op
        for op in snapshot.operations
        if op.description in CHILD_OPERATIONS
        and paths & set((op.resources or {}).get("instances", []))
        and (run.started_at is None or op.created_at is None or op.created_at >= run.started_at)
        and (run.ended_at is None or op.created_at is None or op.created_at <= run.ended_at)
    ]

