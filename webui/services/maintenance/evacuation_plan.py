"""What an evacuation will do to each instance, before it starts, by Incus's own rules; and,
once it ran, where the result differs from that plan.

Pure functions of the snapshot. The rules, as Incus 6.0.4 writes them (7.x keeps them; the
line numbers are 6.0.4's):

- `cmd/incusd/api_cluster_evacuation.go` `evacuateInstancesFunc` (l. 187-257): the action is the
  instance's own (`inst.CanMigrate()`), replaced by the mode unless the mode is "auto"; for any
  action but live-migrate a running instance is stopped first and, unless the action is migrate,
  left where it is; a stopped instance is never live-migrated (plain migrate); with no member to
  take it, it is left as it is then (l. 236-244: 6.0 to 7.3 skip it, they do not stop it); a
  moved instance is started there if it ran, or if `boot.autostart` says so
  (`instanceShouldAutoStart`, `cmd/incusd/instances.go` l. 202-208). Any error ends the whole
  evacuation as failed, and the member is put back online (the reverter, l. 120-131).
- `internal/server/instance/drivers/driver_common.go` `canMigrate` (l. 993-1025): the
  instance's `cluster.evacuate`; when "auto", "stop" if any device cannot move, "live-migrate"
  for a virtual machine with `migration.stateful`, else "migrate".
- `internal/server/device/*.go` `CanMigrate`: a disk moves when it is the root disk, on a remote
  pool, or a cloud-init/agent disk (`disk.go` l. 99-116); a NIC when it is on a managed network
  (`nic_bridged.go` l. 62, `nic_macvlan.go` l. 34, `nic_sriov.go` l. 28; `nic_ovn.go` always);
  `none` and `tpm` always; every other device never (`device_common.go` l. 76).
- How a running instance is stopped (`cmd/incusd/api_cluster.go` l. 2807-2846): force-stop kills
  it; stateful-stop saves its state (`migration.stateful` required, `driver_lxc.go` l. 2750,
  `driver_qemu.go` l. 5014); anything else shuts it down cleanly within its
  `boot.host_shutdown_timeout` (30 s when unset, `api_cluster_evacuation.go` l. 90), then kills it.
- Live migration: a container needs CRIU on both members (`cmd/incusd/migrate_instance.go`
  l. 42-47 and 180-184, `exec.LookPath("criu")`), which Incus does not report anywhere; a
  virtual machine needs `migration.stateful` (`driver_qemu.go` `MigrateSend` l. 6634-6636).
- Where it may go (`evacuateClusterSelectTarget` l. 528-, `db/node.go` `GetCandidateMembers`):
  online members, not `scheduler.instance` manual or group, in the instance's
  `volatile.cluster.group` if set, of its architecture; the one with the fewest instances wins.
"""

import re
from dataclasses import dataclass

from webui.incus.models import Instance, Member
from webui.live.snapshot import ClusterSnapshot

NO_TARGET = "no other member can take it (online, open to placement, of its architecture)"
SHUTDOWN_TIMEOUT_DEFAULT = 30  # seconds, when boot.host_shutdown_timeout is unset
MOVING = ("migrate", "live-migrate")
STOPPING = ("stop", "stateful-stop", "force-stop")
# Storage drivers whose `Info().Remote` is true: their volumes are reachable from every member.
REMOTE_DRIVERS = frozenset({"ceph", "cephfs", "cephobject", "lvmcluster", "linstor"})
VIRTUAL_DISKS = ("cloud-init:config", "agent:config")
# Incus's words when a live migration meets a member without CRIU (internal/server/migration/utils.go).
NO_CRIU = "Unable to perform live container migration. CRIU isn't installed"
NEEDS_CRIU = "Saving a container's running state needs CRIU on its member"
# Incus's words when a running instance needs migration.stateful and lacks it, by type and action.
NOT_STATEFUL = {
    ("virtual-machine", "live-migrate"): "Live migration requires migration.stateful to be set to true",
    ("virtual-machine", "stateful-stop"): "Stateful stop requires migration.stateful to be set to true",
    ("container", "stateful-stop"): "Stateful stop requires the instance to have migration.stateful be set to true",
}


@dataclass(frozen=True)
class PlannedInstance:
    instance: Instance
    setting: str  # its cluster.evacuate ("auto" when unset)
    action: str  # what Incus will do: migrate, live-migrate, stop, stateful-stop or force-stop
    stopping: str  # how it is stopped, in words
    outcome: str  # where it ends up, in words
    why: str = ""  # why that action (a device that cannot move, no member to take it)
    fails: str = ""  # Incus's error if it fails the instance; "" when it should not
    certain: bool = True  # False when it fails only if something Incus does not report is missing
    destinations: tuple[str, ...] = ()  # the members it may go to ("" when it stays)

    @property
    def quoted(self) -> bool:
        """`fails` is Incus's own error message (not our summary of what it will run into)."""
        return self.fails != NEEDS_CRIU

    @property
    def moves(self) -> bool:
        """It will run (or sit) on another member: its memory counts against theirs."""
        return bool(self.destinations) and not self.fails


def shutdown_timeout(instance: Instance) -> int:
    """Seconds Incus waits for a clean shutdown before it kills the instance."""
    try:
        return int(instance.expanded_config.get("boot.host_shutdown_timeout", ""))
    except ValueError:
        return SHUTDOWN_TIMEOUT_DEFAULT


def local_devices(instance: Instance, remote_pools: frozenset[str]) -> list[str]:
    """The devices (by name, as Incus sorts them) that keep the instance on its member, in
    words; [] when every device can move."""
    found = []
    for name, device in sorted(instance.expanded_devices.items()):
        kind = device.get("type", "")
        if kind == "disk":
            if (
                device.get("path") == "/"
                or device.get("pool", "") in remote_pools
                or device.get("source") in VIRTUAL_DISKS
            ):
                continue
            where = device.get("path") or device.get("source", "")
            found.append(f"its disk “{name}” ({where}) is on this member only")
        elif kind == "nic":
            # A managed network moves with it (a managed physical one does not on 6.0: rare).
            if not device.get("network"):
                found.append(f"its network device “{name}” is not on a managed network")
        elif kind not in ("none", "tpm"):
            found.append(f"its {kind or 'untyped'} device “{name}” cannot move")
    return found


def unmovable_device(instance: Instance, remote_pools: frozenset[str]) -> str:
    """The first device that keeps the instance on its member (Incus stops at it); "" if none."""
    return next(iter(local_devices(instance, remote_pools)), "")


def root_pool(instance: Instance) -> str:
    """The storage pool of the instance's root disk ("" when it has none)."""
    disks = instance.expanded_devices.values()
    return next((d.get("pool", "") for d in disks if d.get("type") == "disk" and d.get("path") == "/"), "")


def targets(snapshot: ClusterSnapshot, instance: Instance, source: str) -> list[str]:
    """The members Incus may move the instance to, as `GetCandidateMembers` picks them."""
    group = instance.config.get("volatile.cluster.group", "")
    here = snapshot.member(source)
    arch = here.architecture if here else ""
    return [
        m.server_name
        for m in snapshot.members
        if m.server_name != source
        and m.status == "Online"
        and m.config.get("scheduler.instance", "all") not in ("manual", "group")
        and (not group or group in m.groups)
        and (not arch or not m.architecture or m.architecture == arch)
    ]


def can_migrate(instance: Instance, remote_pools: frozenset[str]) -> tuple[str, str]:
    """Incus's `inst.CanMigrate()`: what the instance itself asks for, and why when its
    setting or its devices decide it (evacuation, healing and rebalancing all start here)."""
    setting = instance.expanded_config.get("cluster.evacuate", "auto")
    if setting != "auto":
        return setting, f"its cluster.evacuate is {setting}"
    if blocked := unmovable_device(instance, remote_pools):
        return "stop", blocked
    if instance.type == "virtual-machine" and _true(instance.expanded_config.get("migration.stateful")):
        return "live-migrate", "a virtual machine with migration.stateful"
    return "migrate", ""


def action_of(instance: Instance, mode: str, remote_pools: frozenset[str]) -> tuple[str, str]:
    """What Incus will do to the instance, and why when its devices decide it."""
    if mode and mode != "auto":
        action, why = mode, ""
    else:
        action, why = can_migrate(instance, remote_pools)
    if action == "live-migrate" and instance.status != "Running":
        action = "migrate"  # Incus: "Can't live migrate if we're stopped"
    return action, why


def _true(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1", "yes", "on")


def _stopping(instance: Instance, action: str) -> str:
    if instance.status != "Running":
        return f"not running ({instance.status.lower() or 'unknown'})"
    if action == "live-migrate":
        return "not stopped: it keeps running as it moves"
    if action == "force-stop":
        return "killed at once, no clean shutdown"
    if action == "stateful-stop":
        return "stopped with its running state saved to disk"
    seconds = shutdown_timeout(instance)
    return f"shut down cleanly, killed after {seconds} s (boot.host_shutdown_timeout)"


def _failure(instance: Instance, action: str) -> tuple[str, bool]:
    """Incus's error if it will fail this instance, and whether that is certain (CRIU is the
    one thing it needs that it does not report)."""
    if instance.status != "Running" or action not in ("live-migrate", "stateful-stop"):
        return "", True
    if not _true(instance.expanded_config.get("migration.stateful")):
        if words := NOT_STATEFUL.get((instance.type, action)):
            return words, True
    if instance.type == "container" and action == "live-migrate":
        return NO_CRIU, False
    if instance.type == "container":  # liblxc runs CRIU to dump the state; its error varies
        return NEEDS_CRIU, False
    return "", True


def plan_instance(
    snapshot: ClusterSnapshot, instance: Instance, mode: str, remote_pools: frozenset[str] = frozenset()
) -> PlannedInstance:
    source = instance.location
    action, why = action_of(instance, mode, remote_pools)
    running = instance.status == "Running"
    fails, certain = _failure(instance, action)
    destinations: tuple[str, ...] = ()
    if action in STOPPING:
        outcome = "stays here, stopped"
    elif not (destinations := tuple(targets(snapshot, instance, source))):
        why = NO_TARGET
        outcome = "stays here, running" if action == "live-migrate" else "stays here, stopped"
        if action == "live-migrate":
            fails, certain = "", True  # Incus gives up before it tries (and needs CRIU)
    elif action == "live-migrate":
        outcome = f"moved live to {either(list(destinations))}, without stopping"
    elif running or autostarts(instance):
        outcome = f"moved to {either(list(destinations))} and started there"
    else:
        outcome = f"moved to {either(list(destinations))}, stays stopped"
    if fails and certain:
        outcome = "fails: Incus refuses it"
    elif fails:
        where = f"{source} and the member it goes to" if action == "live-migrate" else source
        outcome = f"fails unless CRIU is installed on {where} (Incus does not say whether it is)"
    return PlannedInstance(
        instance=instance,
        setting=instance.expanded_config.get("cluster.evacuate", "auto"),
        action=action,
        stopping="not stopped: Incus refuses first" if fails and certain else _stopping(instance, action),
        outcome=outcome,
        why=why,
        fails=fails,
        certain=certain,
        destinations=destinations,
    )


def autostarts(instance: Instance) -> bool:
    autostart = instance.expanded_config.get("boot.autostart", "")
    return _true(autostart) or (autostart == "" and instance.config.get("volatile.last_state.power") == "RUNNING")


def evacuation_plan(
    snapshot: ClusterSnapshot, name: str, mode: str, remote_pools: frozenset[str] = frozenset()
) -> list[PlannedInstance]:
    return [plan_instance(snapshot, i, mode, remote_pools) for i in snapshot.instances_on(name)]


def plan_warnings(plan: list[PlannedInstance], member: str) -> list[str]:
    """What the plan means for the run as a whole."""
    failing = [p.instance.name for p in plan if p.fails]
    if not failing:
        return []
    return [
        f"{', '.join(failing)} would make Incus fail the evacuation: it then ends as failed and "
        f"{member} is put back online; the instances it already moved or stopped stay so."
    ]


def database_role(snapshot: ClusterSnapshot, member: Member) -> list[str]:
    """What the member's database role means for this evacuation, in words.

    Evacuating moves instances, not database roles: the member keeps its vote while evacuated.
    Its vote only moves when its daemon shuts down cleanly (Incus's `cluster.Handover`, run
    at shutdown, promotes an online stand-by, else an online spare, go-dqlite `Handover`)."""
    name = member.server_name
    config = snapshot.server.config if snapshot.server else {}
    max_voters = str(config.get("cluster.max_voters", "3"))
    words = []
    if member.is_leader:
        words.append(
            f"{name} leads the cluster database. If it shuts down, the other voters elect a new leader "
            "within seconds; requests wait meanwhile."
        )
    if "database" in member.roles:
        words.append(_vote(snapshot, member, max_voters))
    elif "database-standby" in member.roles:
        words.append(
            f"{name} is a database stand-by (it holds a copy, no vote): evacuating it changes nothing "
            "for the database."
        )
    return words


def _vote(snapshot: ClusterSnapshot, member: Member, max_voters: str) -> str:
    name = member.server_name
    up = [m for m in snapshot.members if m.status in ("Online", "Evacuated") and m.server_name != name]
    total = sum("database" in m.roles for m in snapshot.members)
    standby = [m.server_name for m in up if "database-standby" in m.roles]
    spare = [m.server_name for m in up if not {"database", "database-standby"} & set(m.roles)]
    said = (
        f"{name} is one of the {total} database voters (cluster.max_voters is {max_voters}). "
        "Evacuating does not take its vote away: it keeps voting while evacuated. If you then shut it down, "
    )
    if standby or spare:
        taker = f"the stand-by {either(standby)}" if standby else f"{either(spare)} (no database role now)"
        return said + f"Incus hands its vote to {taker}: {total} voters remain."
    majority = total // 2 + 1
    voting = sum("database" in m.roles for m in up)
    if voting < majority:
        return said + f"the database loses its majority ({voting} of {total} voters up, {majority} needed) and stops."
    margin = voting - majority
    more = "it stops if one more goes down" if margin == 0 else f"it survives {margin} more going down"
    return said + (
        f"no other member can take its vote: {voting} of {total} voters remain up, "
        f"the database needs {majority}, so {more}."
    )


def either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def evacuation_warnings(snapshot: ClusterSnapshot, member: Member) -> list[str]:
    name = member.server_name
    warnings = []
    if name == snapshot.server_name:
        warnings.append(
            "This dashboard talks to the cluster through this member; it will move to another member."
        )
    warnings += database_role(snapshot, member)
    others = sum(1 for m in snapshot.members if m.server_name != name and m.status == "Online")
    if others < 2:
        warnings.append(
            f"Only {others} other member{'s are' if others != 1 else ' is'} online to take its instances."
        )
    return warnings


# Incus names the instance it failed on: `Failed to migrate instance "c1" in project "default": …`.
_NAMED = re.compile(r'instance "(?P<name>[^"]+)" in project "(?P<project>[^"]+)"')


def named_instance(error: str) -> tuple[str, str] | None:
    """The (project, name) Incus's error is about, if it names one."""
    found = _NAMED.search(error or "")
    return (found["project"], found["name"]) if found else None
