"""Whether the cluster is mid-upgrade, from each member's version and API extension count, and
what the admin must do next.

Incus's rule: every member must run the same version. Upgraded one by one, the members behind
show `Blocked`, "Needs updating to newer version" (they keep their instances running); one already
upgraded waits, serving no API at all, until the last member is upgraded, then all carry on. So
mid-upgrade the dashboard hears only from the members not upgraded yet."""

from dataclasses import dataclass
from functools import cached_property

from webui.live.snapshot import ClusterSnapshot
from webui.memo import Latest


@dataclass(frozen=True)
class MemberVersion:
    name: str
    status: str
    message: str  # Incus's own words for the status ("Needs updating to newer version")
    version: str  # what the member last said in `/1.0`; "" when it never answered
    extensions: int | None
    answering: bool  # did its `/1.0` answer in the last round?

    @property
    def line(self) -> str:
        """The LTS line, "6.0" of "6.0.4": what the member table shows beside the version."""
        return ".".join(self.version.split(".")[:2])


@dataclass(frozen=True)
class UpgradeStatus:
    """Worked out once per snapshot (`upgrade_status`), its figures once each: every page's
    alerts read them, over every member."""

    members: tuple[MemberVersion, ...]
    blocked: tuple[str, ...]
    offline: tuple[str, ...]

    @cached_property
    def versions(self) -> list[str]:
        return sorted({m.version for m in self.members if m.version})

    @cached_property
    def extension_counts(self) -> list[int]:
        return sorted({m.extensions for m in self.members if m.extensions is not None})

    @cached_property
    def mid_upgrade(self) -> bool:
        return len(self.versions) > 1 or len(self.extension_counts) > 1 or bool(self.blocked)

    @cached_property
    def blocked_messages(self) -> list[str]:
        """What Incus says of the blocked members, each wording once."""
        return sorted({m.message for m in self.members if m.status == "Blocked" and m.message})

    @cached_property
    def waiting(self) -> tuple[str, ...]:
        """Members upgraded already: while others are Blocked, those neither blocked nor offline
        that stopped answering, as Incus has them wait for the rest."""
        if not self.blocked:
            return ()
        return tuple(m.name for m in self.members if m.status not in ("Blocked", "Offline") and not m.answering)

    @cached_property
    def uniform(self) -> str:
        """The one version every member runs (with one API extension set), else "": then there
        is nothing to upgrade until a newer Incus is out."""
        read = all(m.version for m in self.members)
        return self.versions[0] if read and len(self.versions) == 1 and not self.mid_upgrade else ""

    @cached_property
    def newest(self) -> str:
        return max(self.versions, key=version_key, default="")

    @cached_property
    def to_upgrade(self) -> tuple[str, ...]:
        """The admin's next step: the members Incus says need updating (the Blocked ones), or,
        with no member blocked yet, those behind the newest version seen."""
        if self.blocked:
            return self.blocked
        return tuple(m.name for m in self.members if m.version and m.version != self.newest)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def member_version(snapshot: ClusterSnapshot, name: str) -> MemberVersion:
    member = snapshot.member(name)
    server = snapshot.servers.get(name)
    return MemberVersion(
        name=name,
        status=member.status if member else "",
        message=member.message if member else "",
        version=server.version if server else "",
        extensions=len(server.api_extensions) if server else None,
        answering=server is not None and name not in snapshot.silent,
    )


def _status(snapshot: ClusterSnapshot) -> UpgradeStatus:
    members = tuple(member_version(snapshot, m.server_name) for m in snapshot.members)
    return UpgradeStatus(
        members=members,
        blocked=tuple(m.name for m in members if m.status == "Blocked"),
        offline=tuple(m.name for m in members if m.status == "Offline"),
    )


upgrade_status = Latest(_status)  # once per snapshot: every page's alerts ask
