"""What the dashboard knows of the cluster at one moment; pages render from it, never from Incus."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from webui.incus.models import Instance, Member, MemberState


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ClusterSnapshot:
    version: int = 0
    members: tuple[Member, ...] = ()
    states: dict[str, MemberState] = field(default_factory=dict)
    cpus: dict[str, int] = field(default_factory=dict)
    instances: tuple[Instance, ...] = ()
    server_name: str = ""  # the member the dashboard is talking to
    endpoint: str = ""  # and its address
    reachable: bool = False
    error: str = ""  # why Incus is unreachable
    updated_at: datetime | None = None  # when the data shown was last fetched

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.server_name == name), None)

    @property
    def leader(self) -> str:
        return next((m.server_name for m in self.members if m.is_leader), "")

    def instances_on(self, name: str) -> list[Instance]:
        return [i for i in self.instances if i.location == name]

    def evolve(self, **changes: object) -> "ClusterSnapshot":
        return replace(self, version=self.version + 1, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Changes:
    rows: frozenset[str]  # members whose table row changed
    details: frozenset[str]  # members whose page changed (state, instances); removed ones too
    membership: bool  # members added or removed: the table is redrawn whole
    status: bool  # reachability, or the member in use, changed: the banner is redrawn

    def __bool__(self) -> bool:
        return bool(self.details) or self.membership or self.status


def diff(old: ClusterSnapshot, new: ClusterSnapshot) -> Changes:
    def row(s: ClusterSnapshot, name: str) -> tuple[object, ...]:
        return (s.member(name), s.server_name == name)

    def detail(s: ClusterSnapshot, name: str) -> tuple[object, ...]:
        return (s.states.get(name), s.cpus.get(name), tuple(s.instances_on(name)))

    old_names = [m.server_name for m in old.members]
    new_names = [m.server_name for m in new.members]
    rows = {n for n in set(old_names) | set(new_names) if row(old, n) != row(new, n)}
    details = rows | {n for n in new_names if detail(old, n) != detail(new, n)}
    return Changes(
        rows=frozenset(rows),
        details=frozenset(details),
        membership=old_names != new_names,
        status=(old.reachable, old.error, old.server_name) != (new.reachable, new.error, new.server_name),
    )
