"""Whether the cluster is mid-upgrade, from each member's version and API extension count.

Incus's rule: every member must run the same version. A member behind the others shows
`Blocked` (it keeps its instances running); one already upgraded waits, answering 503 "Daemon
is starting up", until the last member is upgraded, then all carry on."""

from dataclasses import dataclass

from webui.live.snapshot import ClusterSnapshot


@dataclass(frozen=True)
class MemberVersion:
    name: str
    status: str
    version: str  # "" when the member never answered `/1.0`
    extensions: int | None


@dataclass(frozen=True)
class UpgradeStatus:
    members: tuple[MemberVersion, ...]
    blocked: tuple[str, ...]
    offline: tuple[str, ...]

    @property
    def versions(self) -> list[str]:
        return sorted({m.version for m in self.members if m.version})

    @property
    def extension_counts(self) -> list[int]:
        return sorted({m.extensions for m in self.members if m.extensions is not None})

    @property
    def mid_upgrade(self) -> bool:
        return len(self.versions) > 1 or len(self.extension_counts) > 1 or bool(self.blocked)


def upgrade_status(snapshot: ClusterSnapshot) -> UpgradeStatus:
    members = []
    for member in snapshot.members:
        server = snapshot.servers.get(member.server_name)
        members.append(
            MemberVersion(
                name=member.server_name,
                status=member.status,
                version=server.version if server else "",
                extensions=len(server.api_extensions) if server else None,
            )
        )
    return UpgradeStatus(
        members=tuple(members),
        blocked=tuple(m.name for m in members if m.status == "Blocked"),
        offline=tuple(m.name for m in members if m.status == "Offline"),
    )
