"""The guided rolling upgrade ("Upgrade cluster members" in Incus's documentation), as a pure
state machine over the snapshot: each member in turn is evacuated (mode chosen at the start),
then upgraded by the admin (package and daemon restart), detected back with its new version,
or in Incus's blocked state, then restored.

Incus's blocked state: an upgraded member whose schema or API changed waits, serving no API,
until every member runs its version; seen from a member not upgraded yet, the old members are
listed BLOCKED, "Needs updating to newer version"; instances keep running. So an upgraded
member that waits is restored only once the last member is upgraded and all come back."""

import re
from dataclasses import dataclass, replace

from webui.incus.models import Member
from webui.live.snapshot import ClusterSnapshot
from webui.services.members.rules import EVACUATE_MODES
from webui.services.upgrade.status import member_version, upgrade_status, version_key

# A member's steps, in order.
PENDING = "pending"
EVACUATING = "evacuating"
UPGRADE = "upgrade"  # evacuated (or nothing to move): the admin upgrades it now
WAITING = "waiting"  # upgraded, and waiting, blocked, for the other members
RESTORE = "restore"
RESTORING = "restoring"
DONE = "done"
FAILED = "failed"
WORDS = {
    PENDING: "waiting its turn",
    EVACUATING: "evacuating",
    UPGRADE: "upgrade it now: the package, then restart the daemon",
    WAITING: "upgraded; blocked until every member runs the new version",
    RESTORE: "back with its new version: restoring",
    RESTORING: "restoring",
    DONE: "done",
    FAILED: "failed",
}
# Once the guide stopped (cancelled), a row says where the member was left, never what to do
# next: nobody is guiding any more, and "upgrade it now" read as an order to nobody.
LEFT = {
    PENDING: "not reached: the guide was cancelled before its turn",
    EVACUATING: "the guide was cancelled while it was being evacuated",
    UPGRADE: "the guide was cancelled before it was upgraded",
    RESTORE: "upgraded; the guide was cancelled before it was restored",
    RESTORING: "upgraded; the guide was cancelled while it was being restored",
}
RUNNING, CANCELLED, FINISHED = "running", "cancelled", "finished"
SKIP = "skip"  # a mode: upgrade in place, instances keep running, no evacuation
BLOCKED_NOTE = "not evacuated: the cluster is blocked mid-upgrade, its instances keep running"


@dataclass(frozen=True)
class MemberStep:
    name: str
    from_version: str
    state: str = PENDING
    evacuated: bool = False
    note: str = ""  # Incus's words when a step failed
    why: str = ""  # why its place in the order (last: the dashboard's member, the leader)

    @property
    def words(self) -> str:
        return WORDS.get(self.state, self.state)


@dataclass(frozen=True)
class Plan:
    mode: str  # an evacuation mode, or "skip"
    members: tuple[MemberStep, ...]
    outcome: str = RUNNING

    @property
    def total(self) -> int:
        return len(self.members)

    @property
    def done(self) -> int:
        return sum(m.state == DONE for m in self.members)

    @property
    def position(self) -> int:
        """The current member's place in the order, from 1; 0 once none is left."""
        current = self.current
        return self.members.index(current) + 1 if current else 0

    @property
    def current(self) -> MemberStep | None:
        """The member the admin is working on: the first neither done nor waiting."""
        return next((m for m in self.members if m.state not in (DONE, WAITING)), None)

    def words(self, step: MemberStep) -> str:
        """The step's row: what to do while the guide runs, where it was left once it stopped."""
        if self.outcome == RUNNING:
            return step.words
        return LEFT.get(step.state, step.words)


@dataclass(frozen=True)
class Action:
    verb: str  # evacuate or restore
    member: str
    mode: str = ""


def refusal(snapshot: ClusterSnapshot) -> str:
    """Why an upgrade must not start now, or ""."""
    offline = [m.server_name for m in snapshot.members if m.status == "Offline"]
    if offline:
        return (
            f"{', '.join(offline)} {'is' if len(offline) == 1 else 'are'} offline. Do not upgrade a cluster "
            "with offline members: they cannot be upgraded, and the cluster ends up blocked."
        )
    if not snapshot.members:
        return "The cluster has not been read yet."
    # Each member's version before its upgrade is how the guide tells it came back upgraded.
    unread = [m.server_name for m in snapshot.members if not member_version(snapshot, m.server_name).version]
    if unread:
        return f"The version of {', '.join(unread)} has not been read yet: try again in a few seconds."
    return ""


TALKING_WHY = "the dashboard talks to this member (an upgraded one answers nothing until all are)"
LEADER_WHY = "it is the database leader (upgraded after the others, the leadership moves once, not at each step)"


def _rank(snapshot: ClusterSnapshot, member: Member) -> int:
    """The others first, then the database leader, then the member the dashboard talks to."""
    return 2 if member.server_name == snapshot.server_name else 1 if member.is_leader else 0


def _why(snapshot: ClusterSnapshot, member: Member) -> str:
    reasons = [
        *([TALKING_WHY] if member.server_name == snapshot.server_name else []),
        *([LEADER_WHY] if member.is_leader else []),
    ]
    return ", and ".join(reasons)


def plan(snapshot: ClusterSnapshot, mode: str) -> Plan:
    ordered = sorted(snapshot.members, key=lambda m: _rank(snapshot, m))  # stable: the others keep Incus's order
    steps = []
    for n, member in enumerate(ordered, 1):
        why = _why(snapshot, member)
        place = "Last" if n == len(ordered) else "Next to last"
        steps.append(
            MemberStep(
                member.server_name,
                member_version(snapshot, member.server_name).version,
                why=f"{place}: {why}" if why else "",
            )
        )
    return Plan(mode=mode, members=tuple(steps))


def each_member(mode: str) -> str:
    """What the guide does with every member under `mode`, for the confirmation."""
    if mode == SKIP:
        return (
            "not evacuated: its instances keep running while you upgrade its package and restart its daemon; "
            "the guide waits until it is back with the new version"
        )
    evacuation = EVACUATE_MODES.get(mode, "").rstrip(".")
    return (
        f"evacuated with mode {mode} ({evacuation[:1].lower() + evacuation[1:]}); then you upgrade its package "
        "and restart its daemon; back with the new version, it is restored"
    )


VERSION = re.compile(r"\d+(\.\d+){0,2}")


@dataclass(frozen=True)
class Proposal:
    """What Start would do, for the confirmation: the plan, from which version to which, or
    why it may not start."""

    plan: Plan
    running: str  # the versions the members run now, "6.0.4" or "6.0.4, 7.0.2"
    target: str  # the version to upgrade to: typed when all run one version, else the newest seen
    refused: str


def propose(snapshot: ClusterSnapshot, mode: str, typed: str) -> Proposal:
    status = upgrade_status(snapshot)
    typed = typed.strip().removeprefix("v")
    target = typed if status.uniform else status.newest
    refused = refusal(snapshot) or _target_refusal(status.uniform, typed)
    return Proposal(plan(snapshot, mode), ", ".join(status.versions), target, refused)


def nothing_to_do(snapshot: ClusterSnapshot) -> str:
    """The page's sentence when every member runs one version, else ""."""
    version = upgrade_status(snapshot).uniform
    return f"Every member runs Incus {version}: there is nothing to upgrade." if version else ""


def _target_refusal(uniform: str, typed: str) -> str:
    """With one version everywhere, the admin names the newer one they are about to install:
    the dashboard cannot see a package that is not running yet."""
    if not uniform:
        return ""  # members run different versions: the guide upgrades those behind
    if not typed:
        return f"Every member runs Incus {uniform}: name the newer version you are about to install."
    if not VERSION.fullmatch(typed):
        return f"{typed!r} is not a version: type one such as 6.0.5 or 7.0."
    if version_key(typed) <= version_key(uniform):
        return f"Every member runs Incus {uniform} already: {typed} is not newer."
    return ""


def _back_upgraded(snapshot: ClusterSnapshot, step: MemberStep) -> bool:
    server = snapshot.servers.get(step.name)
    return (
        server is not None
        and bool(server.version)
        and server.version != step.from_version
        and step.name not in snapshot.silent
    )


def advance(current: Plan, snapshot: ClusterSnapshot) -> tuple[Plan, Action | None]:
    """The plan after looking at the cluster, and the one action to take now, if any."""
    if current.outcome != RUNNING:
        return current, None
    status = upgrade_status(snapshot)
    members = list(current.members)
    # Members upgraded: those that waited come back together once the last one is upgraded.
    for n, step in enumerate(members):
        if step.state in (WAITING, UPGRADE) and _back_upgraded(snapshot, step):
            members[n] = replace(step, state=RESTORE if step.evacuated else DONE)
    result = replace(current, members=tuple(members))
    for n, step in enumerate(members):
        member = snapshot.member(step.name)
        status_now = member.status if member else ""
        if status_now == "Offline" and step.state in (PENDING, RESTORE):
            # Members restarting show Offline for a while: wait for the view to settle rather
            # than act on it (an evacuation refused, a restore skipped).
            return result, None
        if step.state == RESTORE:
            if status_now != "Evacuated":
                return _set(result, n, state=DONE), None
            return _set(result, n, state=RESTORING), Action("restore", step.name)
        if step.state == RESTORING:
            if status_now == "Online":
                return _set(result, n, state=DONE), None
            return _failed_run(result, n, snapshot) or (result, None)
        if step.state in (DONE, WAITING):
            continue
        if step.state == PENDING:
            # Mid-upgrade (members blocked, or one already waiting: a passing view may show no
            # member blocked), the rest keep their instances running and move none.
            if status.blocked or any(m.state == WAITING for m in members):
                return _set(result, n, state=UPGRADE, note=BLOCKED_NOTE), None
            if current.mode == SKIP or not snapshot.instances_on(step.name) or status_now == "Evacuated":
                return _set(result, n, state=UPGRADE, evacuated=status_now == "Evacuated"), None
            return _set(result, n, state=EVACUATING), Action("evacuate", step.name, current.mode)
        if step.state == EVACUATING:
            if status_now == "Evacuated":
                return _set(result, n, state=UPGRADE, evacuated=True), None
            return _failed_run(result, n, snapshot) or (result, None)
        if step.state == UPGRADE:
            if step.name in status.waiting:
                return _set(result, n, state=WAITING), None
        return result, None  # the admin's turn (upgrade) or a failed step: nothing to do
    if all(m.state == DONE for m in members):
        return replace(result, outcome=FINISHED), None
    return result, None


def _set(current: Plan, n: int, **changes: object) -> Plan:
    members = list(current.members)
    members[n] = replace(members[n], **changes)  # type: ignore[arg-type]
    return replace(current, members=tuple(members))


def _failed_run(current: Plan, n: int, snapshot: ClusterSnapshot) -> tuple[Plan, None] | None:
    """The step's evacuation or restore ended in failure: stop there, with Incus's words."""
    run = snapshot.maintenance_of(current.members[n].name)
    if run is not None and run.outcome in ("failed", "cancelled"):
        return _set(current, n, state=FAILED, note=run.error or f"the {run.outcome} run has no message"), None
    return None
