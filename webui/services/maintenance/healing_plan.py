"""What healing would do to an instance if its member went offline for good: the evacuation
plan's rule in Incus's "heal" mode. Incus 6.0.4, `cmd/incusd/api_cluster_evacuation.go`:

- `evacuateInstancesFunc` (l. 196-211): a live migration becomes a cold one (the member is
  dead); anything but a migration leaves the instance where it is, as it is; nothing is
  stopped first (`healClusterMember` passes no stop function).
- `evacuateClusterSelectTarget`: the same members an evacuation may use (`targets`).
- `healClusterMember`'s migrate function (l. 731-751): an instance whose root disk is on a
  local pool (or that has no pool) stays: only remote storage survives its member. A moved
  instance is started there if it ran, or if `boot.autostart` says so.
"""

from dataclasses import dataclass

from webui.incus.models import Instance
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance.evacuation_plan import NO_TARGET, autostarts, can_migrate, either, root_pool, targets


@dataclass(frozen=True)
class Healed:
    outcome: str  # where it ends up, in words
    why: str = ""  # why it stays
    destinations: tuple[str, ...] = ()


def heal_instance(snapshot: ClusterSnapshot, instance: Instance, remote_pools: frozenset[str]) -> Healed:
    action, why = can_migrate(instance, remote_pools)
    if action == "live-migrate":
        action = "migrate"
    if action != "migrate":
        return Healed("stays on its dead member, untouched", why or f"its action is {action}")
    destinations = tuple(targets(snapshot, instance, instance.location))
    if not destinations:
        return Healed("stays on its dead member", NO_TARGET)
    pool = root_pool(instance)
    if pool not in remote_pools:
        where = f"the local pool “{pool}”" if pool else "no storage pool"
        return Healed("stays on its dead member", f"its root disk is on {where}: only remote storage outlives it")
    started = instance.status == "Running" or autostarts(instance)
    then = " and started there" if started else ", stays stopped"
    return Healed(f"moved to {either(list(destinations))}{then}", "", destinations)
