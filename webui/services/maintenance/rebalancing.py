"""Why rebalancing moves, or does not: what Incus's leader would decide if it ran now, from
the same figures (each member's `/1.0/resources`, asked when the section opens, never per page
load) and Incus's own steps, `cmd/incusd/api_cluster_rebalance.go` (6.0.4; 7.x the same for
what is shown here):

- `autoRebalanceCluster`: the members `GetCandidateMembers` gives (online, not evacuated, not
  `scheduler.instance` manual or group), scored (rebalance_score.py), grouped by architecture,
  busiest first.
- `clusterRebalance`: per architecture, nothing moves with fewer than two members, when the
  busiest scores 0, or when the idlest scores less than `cluster.rebalance.threshold` percent
  below the busiest; at most `cluster.rebalance.batch` moves per run.
- `clusterRebalanceServers`: the busiest member's virtual machines, in Incus's order, that
  `CanMigrate()` as "live-migrate" and whose `volatile.rebalance.last_move` is older than
  `cluster.rebalance.cooldown`, go live to the idlest member while its score stays under the
  mean of the two scores; an instance that would take it there is skipped.

Not known here: project restrictions (`restricted.cluster.groups`), which can keep an
instance off the target, and on 7.x an `instances.placement.scriptlet`, which may pick another.
"""

import asyncio
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from webui.incus.client import IncusClient
from webui.incus.errors import IncusError
from webui.incus.models import Instance
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance.evacuation_plan import can_migrate
from webui.services.maintenance.rebalance_score import Figures, Score, member_score, resource_usage, score, unevenness

DEFAULTS = {"interval": "0", "threshold": "20", "batch": "1", "cooldown": "6H"}
_EXPIRY = re.compile(r"^(\d+)(S|M|H|d|w|m|y)$")


@dataclass(frozen=True)
class Scored:
    figures: Figures
    score: Score


@dataclass(frozen=True)
class Candidate:
    instance: Instance
    why: str  # why it does not move, in words ("" for a move)
    last_move: datetime | None = None  # volatile.rebalance.last_move
    expected: Score | None = None  # the target's score after the move, as Incus expects it
    moves: bool = False


@dataclass(frozen=True)
class Side:
    """One architecture's members, busiest first, and what Incus decides for them."""

    architecture: str
    members: tuple[Scored, ...]
    verdict: str
    moves: bool = False
    difference: int = 0
    target_score: int = 0
    candidates: tuple[Candidate, ...] = ()
    containers: int = 0  # on the busiest member: never moved by rebalancing

    @property
    def busiest(self) -> Scored:
        return self.members[0]

    @property
    def idlest(self) -> Scored:
        return self.members[-1]


@dataclass(frozen=True)
class Assessment:
    settings: dict[str, str]  # interval, threshold, batch, cooldown, as set or Incus's defaults
    sides: tuple[Side, ...] = ()
    problems: tuple[str, ...] = ()  # what would make Incus's run fail, in its words
    leader_architecture: str = ""
    scriptlet: bool = False
    next_moves: tuple[str, ...] = field(default=())

    @property
    def enabled(self) -> bool:
        return self.settings["interval"] not in ("", "0")


def settings_of(snapshot: ClusterSnapshot) -> dict[str, str]:
    config = snapshot.server.config if snapshot.server else {}
    return {key: str(config.get(f"cluster.rebalance.{key}") or default) for key, default in DEFAULTS.items()}


def expiry(start: datetime, text: str) -> datetime:
    """`GetExpiry`: start plus "6H", "1d 3H"... (S, M, H, d, w, m, y); ValueError otherwise."""
    amounts = dict.fromkeys("SMHdwmy", 0)
    for word in text.strip().split(" ") if text.strip() else []:
        found = _EXPIRY.match(word)
        if not found or amounts[found[2]]:
            raise ValueError("Invalid expiry expression")
        amounts[found[2]] = int(found[1])
    months = start.month - 1 + amounts["m"] + 12 * amounts["y"]
    # Go's AddDate normalises: 31 January plus a month is 3 March.
    moved = start.replace(year=start.year + months // 12, month=months % 12 + 1, day=1) + timedelta(days=start.day - 1)
    return moved + timedelta(
        days=amounts["d"] + 7 * amounts["w"], hours=amounts["H"], minutes=amounts["M"], seconds=amounts["S"]
    )


def candidates(
    snapshot: ClusterSnapshot, side: Side, settings: dict[str, str], pools: frozenset[str], at: datetime, leader: str,
    batch: int,
) -> tuple[list[Candidate], list[str]]:
    """The busiest member's virtual machines, each with what Incus would do with it."""
    source, target = side.busiest, side.idlest
    vms = sorted(
        (i for i in snapshot.instances_on(source.figures.member) if i.type == "virtual-machine"),
        key=lambda i: (i.project != "default", i.project, i.name),  # Incus: by project id (default is 1), then name
    )
    found, problems = [], []
    figures = target.figures
    used, load, current, moved = figures.memory_used, figures.load, target.score.total, 0
    for vm in vms:
        action, why = can_migrate(vm, pools)
        stamp = vm.config.get("volatile.rebalance.last_move", "")
        if stamp and not stamp.isdigit():
            problems.append(f"Failed to parse last_move value ({vm.name}: {stamp!r})")
            found.append(Candidate(vm, "its volatile.rebalance.last_move is not a time: Incus's run fails on it"))
            continue
        last = datetime.fromtimestamp(int(stamp), UTC) if stamp else None
        if action != "live-migrate":
            found.append(Candidate(vm, f"not live-migratable ({why or 'migration.stateful is not set'})", last))
            continue
        try:
            until = expiry(last, settings["cooldown"]) if last else None
        except ValueError:
            problems.append("Failed to calculate expiration for cooldown time: Invalid expiry expression")
            until = None
        if until and at < until:
            found.append(Candidate(vm, f"in its cooldown until {until:%Y-%m-%d %H:%M} UTC", last))
            continue
        if moved >= batch:
            found.append(Candidate(vm, "beyond this run's batch (cluster.rebalance.batch)", last))
            continue
        if current >= side.target_score:
            found.append(Candidate(vm, f"{figures.member} has reached its target score", last))
            continue
        try:
            cpus, memory = resource_usage(vm.expanded_config, vm.type)
        except ValueError as exc:
            problems.append(f"Failed to establish instance resource usage: {exc}")
            found.append(Candidate(vm, "its limits cannot be read: Incus's run fails on it", last))
            continue
        expected = score(used + cpus, figures.memory_total, load + memory, figures.threads, leader)
        if expected.total >= side.target_score:
            why = f"would bring {figures.member} to score {expected.total}, not under {side.target_score}"
            found.append(Candidate(vm, why, last, expected))
            continue
        found.append(Candidate(vm, "", last, expected, moves=True))
        used, load, current, moved = used + cpus, load + memory, expected.total, moved + 1
    return found, problems


def side_of(architecture: str, members: list[Scored], threshold: int) -> Side:
    if len(members) < 2:
        return Side(architecture, tuple(members), f"only one {architecture} member: nothing to balance it against")
    busiest, idlest = members[0], members[-1]
    if busiest.score.total == 0:
        return Side(architecture, tuple(members), f"the busiest, {busiest.figures.member}, scores 0: nothing moves")
    difference = unevenness(busiest.score.total, idlest.score.total)
    target = ((busiest.score.total + idlest.score.total) & 0xFF) // 2
    said = (
        f"{idlest.figures.member} scores {idlest.score.total}, {difference} % under "
        f"{busiest.figures.member}'s {busiest.score.total}"
    )
    if difference < threshold:
        return Side(architecture, tuple(members), f"{said}: under the {threshold} % threshold, nothing moves",
                    difference=difference, target_score=target)
    return Side(architecture, tuple(members), f"{said}: at or over the {threshold} % threshold, Incus moves",
                moves=True, difference=difference, target_score=target)


def assess(
    snapshot: ClusterSnapshot, figures: list[Figures], pools: frozenset[str], at: datetime, problems: list[str]
) -> Assessment:
    settings = settings_of(snapshot)
    leader = snapshot.member(snapshot.leader)
    leader_arch = leader.architecture if leader else "x86_64"
    groups: dict[str, list[Scored]] = {}
    for f in figures:
        groups.setdefault(f.architecture, []).append(Scored(f, member_score(f, leader_arch)))
    sides, batch, moves = [], _int(settings["batch"], 1), []
    for arch, members in sorted(groups.items()):
        side = side_of(arch, sorted(members, key=lambda s: -s.score.total), _int(settings["threshold"], 20))
        if len(side.members) > 1 and side.busiest.score.total:
            found, trouble = candidates(snapshot, side, settings, pools, at, leader_arch, max(batch, 0))
            problems = problems + trouble
            containers = sum(i.type != "virtual-machine" for i in snapshot.instances_on(side.busiest.figures.member))
            side = replace(side, candidates=tuple(found), containers=containers)
            moving = [c for c in found if c.moves] if side.moves else []
            batch -= len(moving)
            moves += [
                f"{c.instance.name} (project {c.instance.project}) live from {side.busiest.figures.member} "
                f"to {side.idlest.figures.member}" for c in moving
            ]
        sides.append(side)
    config = snapshot.server.config if snapshot.server else {}
    return Assessment(
        settings, tuple(sides), tuple(problems), leader_arch, bool(config.get("instances.placement.scriptlet")),
        tuple(moves),
    )


def last_moves(snapshot: ClusterSnapshot) -> list[tuple[Instance, datetime]]:
    """Incus's own record of its rebalancing moves, newest first: each instance it moved keeps
    the time in `volatile.rebalance.last_move` (set after the move, wherever it now sits)."""
    found = [
        (i, datetime.fromtimestamp(int(stamp), UTC))
        for i in snapshot.instances
        if (stamp := i.config.get("volatile.rebalance.last_move", "")).isdigit()
    ]
    return sorted(found, key=lambda pair: pair[1], reverse=True)


def where_now(snapshot: ClusterSnapshot, project: str, name: str) -> str:
    """The member an instance sits on now ("" once it is gone)."""
    return next((i.location for i in snapshot.instances if (i.project, i.name) == (project, name)), "")


def described(snapshot: ClusterSnapshot) -> list[tuple[str, str, str]]:
    """The cluster.rebalance.* keys with their values and Incus's own description of each."""
    config = snapshot.server.config if snapshot.server else {}
    keys = snapshot.metadata.server if snapshot.metadata else ()
    found = []
    for key in keys:
        if key.name.startswith("cluster.rebalance."):
            default = f"{key.default.strip('`')} (default)" if key.default else "unset"
            found.append((key.name, str(config.get(key.name) or "") or default, key.shortdesc))
    return found


def _int(text: str, default: int) -> int:
    return int(text) if text.lstrip("-").isdigit() else default


async def member_figures(client: IncusClient, snapshot: ClusterSnapshot) -> tuple[list[Figures], list[str]]:
    """Each member Incus would score, asked for its resources now (Incus's words if one fails:
    its run would fail the same way)."""
    names = [
        m.server_name for m in snapshot.members
        if m.status == "Online" and m.config.get("scheduler.instance", "all") not in ("manual", "group")
    ]
    replies = await asyncio.gather(*(client.member_resources(n) for n in names), return_exceptions=True)
    figures, problems = [], []
    for name, reply in zip(names, replies, strict=True):
        if isinstance(reply, IncusError):
            problems.append(f"Failed to get resources for cluster member {name}: {reply.message}")
        elif isinstance(reply, BaseException):
            raise reply
        else:
            figures.append(Figures.from_resources(name, reply))
    return figures, problems
