"""What the dashboard knows of the cluster at one moment; pages render from it, never from Incus."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from webui.clock import now
from webui.incus.features import Features, features_of
from webui.incus.models import (
    ClusterGroup,
    ConfigMetadata,
    Event,
    IncusWarning,
    Instance,
    Member,
    MemberState,
    Operation,
    Server,
)

# How long a finished operation's outcome stays on screen after Incus has forgotten it.
KEEP_FINISHED = timedelta(minutes=15)


def merge_operations(
    known: Iterable[Operation], incoming: Iterable[Operation], at: datetime | None = None
) -> tuple[Operation, ...]:
    """Known operations updated with incoming ones (newer wins), join tokens included (a
    pending token is a member about to join), without outcomes older than KEEP_FINISHED;
    oldest first."""
    at = at or now()
    merged = {op.id: op for op in known}
    for op in incoming:
        if not _older(op, merged.get(op.id)):
            merged[op.id] = op
    kept = [
        op
        for op in merged.values()
        if not (op.finished and op.updated_at and at - op.updated_at > KEEP_FINISHED)
    ]
    return tuple(sorted(kept, key=lambda op: (op.created_at or at, op.id)))


def _older(incoming: Operation, known: Operation | None) -> bool:
    """Whether `incoming` is an earlier state of `known`. An operation that ended stays ended: a
    quick one (an evacuation with nothing to move, on Incus 7.0) sends its Success event before
    the POST that started it returns with "Running", and that reply must not bring it back. One
    that started stays started: Incus stamps its Pending and Running events with one time, and
    another member relays them in either order (a join token then stayed Pending for good)."""
    if known is None:
        return False
    if known.finished and not incoming.finished:
        return True
    if incoming.status == "Pending" and known.status != "Pending":
        return True
    return bool(known.updated_at and incoming.updated_at and incoming.updated_at < known.updated_at)


class Maintenance(Protocol):
    """An evacuation or restore in progress or just ended (services/maintenance/runs.py derives
    them; the snapshot only carries them to the pages)."""

    @property
    def operation_id(self) -> str: ...

    @property
    def member(self) -> str: ...

    @property
    def running(self) -> bool: ...

    @property
    def outcome(self) -> str: ...

    @property
    def error(self) -> str: ...

    @property
    def ended_at(self) -> datetime | None: ...


class Located(Protocol):
    @property
    def location(self) -> str: ...


L = TypeVar("L", bound=Located)


def _by_location(items: Iterable[L]) -> dict[str, list[L]]:
    placed: dict[str, list[L]] = {}
    for item in items:
        placed.setdefault(item.location, []).append(item)
    return placed


@dataclass(frozen=True)
class Firing:
    """A fencing action's last run, as the audit log has it."""

    action: str  # healed-hook or healed-webhook
    member: str
    at: datetime
    error: str = ""  # what went wrong; "" when it succeeded

    @property
    def label(self) -> str:
        return "the webhook" if self.action == "healed-webhook" else "the hook"


@dataclass(frozen=True)
class FencingState:
    """Whether each fencing action is set (never its secret parts) and when each last fired:
    from the database, since the process that fired it may be another one."""

    hook: str = ""  # the hook's program name; "" when healed_hook is not set
    webhook: str = ""  # the webhook's scheme and host; "" when healed_webhook is not set
    fired: tuple[Firing, ...] = ()

    def last(self, action: str) -> Firing | None:
        return next((f for f in self.fired if f.action == action), None)


@dataclass(frozen=True)
class ClusterSnapshot:
    version: int = 0
    members: tuple[Member, ...] = ()
    states: dict[str, MemberState] = field(default_factory=dict)
    cpus: dict[str, int] = field(default_factory=dict)
    instances: tuple[Instance, ...] = ()
    # Running operations, and finished ones for a while: Incus forgets them after ~5 s.
    operations: tuple[Operation, ...] = ()
    server_name: str = ""  # the member the dashboard is talking to
    endpoint: str = ""  # and its address
    reachable: bool = False
    error: str = ""  # why Incus is unreachable
    updated_at: datetime | None = None  # when the data shown was last fetched
    # From the slow round: `/1.0` of the member in use (global keys, API extensions, the
    # cluster certificate) and of each member (its version, extension count, local keys).
    server: Server | None = None
    servers: dict[str, Server] = field(default_factory=dict)
    # Members whose `/1.0` did not answer in the last slow round (offline ones are not asked): a
    # member upgraded before the others waits, serving nothing, until the last one is upgraded.
    silent: frozenset[str] = frozenset()
    # Seen in events only (Incus keeps no record of them): members the leader evacuated by
    # itself, until restored; migrations Incus made on its own (rebalancing), newest last.
    healed: frozenset[str] = frozenset()
    rebalanced: tuple[Event, ...] = ()
    fencing: FencingState = FencingState()  # the dashboard's settings and the audit log
    # Incus's own description of its configuration keys, fetched once per server version.
    metadata: ConfigMetadata | None = None
    groups: tuple[ClusterGroup, ...] = ()  # `incus cluster group list`, from the slow round
    # Evacuations and restores, running or ended within KEEP_FINISHED, oldest first.
    maintenance: tuple[Maintenance, ...] = ()
    # The trust store's certificate names by fingerprint, to name who asked Incus (people.py).
    trust_store: dict[str, str] = field(default_factory=dict)
    warnings: tuple[IncusWarning, ...] = ()  # `incus warning list` (webui/live/warnings.py)

    @property
    def standalone(self) -> bool:
        """A server that is not clustered (Incus says so in `/1.0`): the cluster-only pages
        and actions are not offered for it."""
        return self.server is not None and self.server.environment.get("server_clustered") is False

    def group(self, name: str) -> ClusterGroup | None:
        return next((g for g in self.groups if g.name == name), None)

    @property
    def join_tokens(self) -> list[Operation]:
        """Pending join tokens (`incus cluster list-tokens`): running token operations that
        name a member to be."""
        return [
            op for op in self.operations
            if op.class_ == "token" and op.status == "Running" and (op.metadata or {}).get("serverName")
        ]

    # Indexes built on first use (a snapshot never changes): with 1,000 members, a diff asks
    # for every member's row and instances, and a scan each time made it quadratic.
    @cached_property
    def _members_by_name(self) -> dict[str, Member]:
        return {m.server_name: m for m in self.members}

    @cached_property
    def _instances_by_member(self) -> dict[str, list[Instance]]:
        return _by_location(self.instances)

    @cached_property
    def _operations_by_member(self) -> dict[str, list[Operation]]:
        return _by_location(self.operations)

    @cached_property
    def _maintenance_by_member(self) -> dict[str, Maintenance]:
        return {run.member: run for run in self.maintenance}  # oldest first: the latest stays

    @cached_property
    def member_addresses(self) -> dict[str, str]:
        """Each member's name by the host of its cluster address: a request from one of them."""
        return {host: m.server_name for m in self.members if (host := urlsplit(m.url).hostname)}

    @cached_property
    def new_warnings(self) -> dict[str, int]:
        """Warnings nobody acknowledged and Incus has not resolved, by member ("" for none)."""
        return dict(Counter(w.location for w in self.warnings if w.status == "new"))

    def member(self, name: str) -> Member | None:
        return self._members_by_name.get(name)

    @cached_property
    def features(self) -> Features:
        """What this cluster's Incus can do, by API extension (webui/incus/features.py)."""
        return features_of(self.server, self.servers)

    @property
    def leader(self) -> str:
        return next((m.server_name for m in self.members if m.is_leader), "")

    def instances_on(self, name: str) -> list[Instance]:
        return list(self._instances_by_member.get(name, ()))

    def operations_on(self, name: str) -> list[Operation]:
        return list(self._operations_by_member.get(name, ()))

    def maintenance_of(self, name: str) -> Maintenance | None:
        """The member's latest evacuation or restore, while it runs or shortly after."""
        return self._maintenance_by_member.get(name)

    def operation(self, operation_id: str) -> Operation | None:
        return next((op for op in self.operations if op.id == operation_id), None)

    def evolve(self, **changes: object) -> "ClusterSnapshot":
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Changes:
    rows: frozenset[str]  # members whose table row changed
    details: frozenset[str]  # members whose page changed (state, instances); removed ones too
    membership: bool  # members added or removed: the table is redrawn whole
    status: bool  # reachability, or the member in use, changed: the banner is redrawn
    operations: frozenset[str] = frozenset()  # operations that started, moved on or ended
    cluster: bool = False  # configuration, versions, certificate, healing or rebalancing changed
    statuses: bool = False  # a member's status changed (Online, Offline, Blocked...)
    fresh: bool = False  # nothing else maybe, but the data was fetched again (the NOC shows its age)
    metrics: frozenset[str] = frozenset()  # members whose load, memory or instance count changed
    maintenance: bool = False  # an evacuation or restore started, moved on, ended or was forgotten
    aged: bool = False  # no change: what ended "just now" no longer did (services/activity/recent.py)
    warnings: bool = False  # a warning was raised, seen again, acknowledged, reset, resolved or deleted

    def __bool__(self) -> bool:
        return (
            bool(self.details) or self.membership or self.status or bool(self.operations) or self.cluster or self.fresh
            or self.maintenance or self.aged or self.warnings
        )


def diff(old: ClusterSnapshot, new: ClusterSnapshot) -> Changes:
    def row(s: ClusterSnapshot, name: str) -> tuple[object, ...]:
        running = tuple(op.description for op in s.operations_on(name) if not op.finished)
        server = s.servers.get(name)
        version = server.version if server else ""
        warned = s.new_warnings.get(name, 0)  # the row's count of warnings
        own = (s.member(name), s.server_name == name, running, version, name in s.silent)
        return (*own, s.maintenance_of(name), warned)

    def metrics(s: ClusterSnapshot, name: str) -> tuple[object, ...]:
        return (s.states.get(name), s.cpus.get(name), tuple(i.status for i in s.instances_on(name)))

    def detail(s: ClusterSnapshot, name: str) -> tuple[object, ...]:
        return (s.states.get(name), s.cpus.get(name), tuple(s.instances_on(name)), tuple(s.operations_on(name)))

    old_names = [m.server_name for m in old.members]
    new_names = [m.server_name for m in new.members]
    rows = {n for n in set(old_names) | set(new_names) if row(old, n) != row(new, n)}
    details = rows | {n for n in new_names if detail(old, n) != detail(new, n)}
    old_ops = {op.id: op for op in old.operations}
    new_ops = {op.id: op for op in new.operations}
    operations = {i for i in old_ops.keys() | new_ops.keys() if old_ops.get(i) != new_ops.get(i)}
    if old.maintenance != new.maintenance:  # the strip groups operations under their run
        operations |= {run.operation_id for run in new.maintenance} & new_ops.keys()
    return Changes(
        operations=frozenset(operations),
        rows=frozenset(rows),
        details=frozenset(details),
        membership=old_names != new_names,
        status=(old.reachable, old.error, old.server_name) != (new.reachable, new.error, new.server_name),
        cluster=(old.server, old.servers, old.silent, old.healed, old.rebalanced, old.groups, old.fencing)
        != (new.server, new.servers, new.silent, new.healed, new.rebalanced, new.groups, new.fencing),
        fresh=old.updated_at != new.updated_at,
        metrics=frozenset(n for n in new_names if metrics(old, n) != metrics(new, n)),
        statuses=[(m.server_name, m.status) for m in old.members] != [(m.server_name, m.status) for m in new.members],
        maintenance=old.maintenance != new.maintenance,
        warnings=old.warnings != new.warnings,
    )
