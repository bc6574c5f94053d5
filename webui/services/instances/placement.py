"""Every instance of the cluster (all projects) with what holds it to its member, and what an
evacuation of that member (mode "auto", as `incus cluster evacuate` with no `--action`) and
healing would do to it: the evacuation plan's own rule (services/maintenance/), never a copy.

Pure functions of the snapshot and of the remote pools' names, which the page asks Incus for
when it opens (pools are not in the snapshot)."""

from dataclasses import dataclass

from webui.incus.models import Instance
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance.evacuation_plan import PlannedInstance, local_devices, plan_instance, root_pool
from webui.services.maintenance.healing_plan import Healed, heal_instance

STATUSES = ("Running", "Stopped", "Frozen", "Error")
TYPES = ("container", "virtual-machine")


@dataclass(frozen=True)
class Filters:
    member: str = ""
    project: str = ""
    status: str = ""
    type: str = ""

    @property
    def any(self) -> bool:
        return bool(self.member or self.project or self.status or self.type)

    def keeps(self, instance: Instance) -> bool:
        return all(
            not wanted or wanted == value
            for wanted, value in (
                (self.member, instance.location),
                (self.project, instance.project),
                (self.status, instance.status),
                (self.type, instance.type),
            )
        )


@dataclass(frozen=True)
class Placement:
    instance: Instance
    setting: str  # cluster.evacuate, "auto" when unset
    setting_from: str  # where it is set, in words
    pool: str  # its root disk's pool ("" without one)
    pool_remote: bool
    local: tuple[str, ...]  # devices that cannot leave the member, in words
    group: str  # volatile.cluster.group: the cluster group it was placed in (`--target @group`)
    evacuation: PlannedInstance
    healing: Healed


def setting_from(instance: Instance) -> str:
    """Whether cluster.evacuate is the instance's own, a profile's, or Incus's default."""
    if "cluster.evacuate" in instance.config:
        return "set on the instance"
    if "cluster.evacuate" in instance.expanded_config:
        return "from its profiles"
    return "unset: Incus's default"


def placement(snapshot: ClusterSnapshot, instance: Instance, remote_pools: frozenset[str]) -> Placement:
    pool = root_pool(instance)
    return Placement(
        instance=instance,
        setting=instance.expanded_config.get("cluster.evacuate", "auto"),
        setting_from=setting_from(instance),
        pool=pool,
        pool_remote=pool in remote_pools,
        local=tuple(local_devices(instance, remote_pools)),
        group=instance.config.get("volatile.cluster.group", ""),
        evacuation=plan_instance(snapshot, instance, "auto", remote_pools),
        healing=heal_instance(snapshot, instance, remote_pools),
    )


def placements(snapshot: ClusterSnapshot, remote_pools: frozenset[str], filters: Filters) -> list[Placement]:
    """The instances the filters keep, by member, project and name."""
    kept = sorted(
        (i for i in snapshot.instances if filters.keeps(i)), key=lambda i: (i.location, i.project, i.name)
    )
    return [placement(snapshot, i, remote_pools) for i in kept]


def choices(snapshot: ClusterSnapshot) -> dict[str, list[str]]:
    """The values each filter offers: what the cluster has, and Incus's statuses and types."""
    return {
        "member": sorted({m.server_name for m in snapshot.members} | {i.location for i in snapshot.instances}),
        "project": sorted({i.project for i in snapshot.instances} | {"default"}),
        "status": sorted(set(STATUSES) | {i.status for i in snapshot.instances if i.status}),
        "type": list(TYPES),
    }
