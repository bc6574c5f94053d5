"""The rules for members: what may be done to one now, and which writable fields Incus would
refuse (what an evacuation will do is `evacuation_plan`).

Pure functions of the snapshot, so the buttons, the dialogs and the server-side checks agree.
Incus's own rules (`cmd/incusd/api_cluster.go`, `api_cluster_evacuation.go`) are the source.
"""

from typing import Any

from webui.incus.models import Member, Operation
from webui.live.snapshot import ClusterSnapshot

# Evacuation modes the server accepts, each in one line (`incus cluster evacuate --help`).
EVACUATE_MODES = {
    "auto": "Each instance as its cluster.evacuate key says (default: migrate if it can, else stop).",
    "migrate": "Move every instance to another member; running ones are stopped, moved and started again.",
    "live-migrate": (
        "Move running instances without stopping them (VMs need migration.stateful, containers CRIU on both members)."
    ),
    "stop": "Stop every instance cleanly and leave it on this member.",
    "stateful-stop": (
        "Stop every instance saving its running state (needs migration.stateful), and leave it on this member."
    ),
    "force-stop": "Kill every instance at once, without a clean shutdown, and leave it on this member.",
}
RESTORE_MODES = {
    "": "Start the instances stopped here and bring back those that were moved away.",
    "skip": "Only mark the member as back in service; leave every instance where it is now.",
}
# Roles a user may give or take (`clustering_roles`); the database ones are Incus's to set.
ASSIGNABLE_ROLES = {
    "event-hub": "Relays events between members (hub mode starts with two or more hubs).",
    "ovn-chassis": "A candidate OVN gateway chassis.",
}
AUTOMATIC_ROLES = {
    "database": "A voting member of the cluster database (set by Incus, up to cluster.max_voters).",
    "database-leader": "The current leader of the cluster database (elected).",
    "database-standby": "A stand-by member of the cluster database (set by Incus, up to cluster.max_standby).",
}
MEMBER_OPERATIONS = ("Evacuating cluster member", "Restoring cluster member")


def running_operation(snapshot: ClusterSnapshot, name: str) -> Operation | None:
    """The evacuation or restore shown running on the member, if any."""
    return next(
        (
            op
            for op in snapshot.operations
            if op.location == name and op.description in MEMBER_OPERATIONS and not op.finished
        ),
        None,
    )


def available_actions(snapshot: ClusterSnapshot, member: Member) -> dict[str, str]:
    """Each action mapped to "" when allowed, else the reason it is not (shown on the button)."""
    name = member.server_name
    status = member.status
    instances = snapshot.instances_on(name)
    busy = running_operation(snapshot, name)
    reasons: dict[str, str] = {}
    if busy:
        reasons["evacuate"] = reasons["restore"] = f"{busy.description} is in progress"
    else:
        reasons["evacuate"] = {
            "Online": "",
            "Evacuated": "The member is already evacuated",
            "Offline": "The member is offline: Incus cannot reach it to evacuate it",
        }.get(status, f"Not possible while the member is {status.lower()}")
        reasons["restore"] = "" if status == "Evacuated" else "Only an evacuated member can be restored"
    if len(snapshot.members) < 2:
        reasons["remove"] = "The last member of a cluster cannot be removed"
    elif status == "Offline":
        reasons["remove"] = "The member is offline: use force-remove"
    elif instances:
        reasons["remove"] = (
            f"The member still has {len(instances)} instance{'s' if len(instances) != 1 else ''}: "
            "evacuate it with mode migrate, or move or delete them first"
        )
    else:
        reasons["remove"] = ""
    reasons["force-remove"] = "" if status == "Offline" else "Only an offline member can be force-removed"
    return reasons


def editable(member: Member) -> dict[str, object]:
    """The writable fields of a member, all of them: what a PUT must send back."""
    return {
        "roles": list(member.roles),
        "failure_domain": member.failure_domain,
        "description": member.description,
        "config": dict(member.config),
        "groups": list(member.groups),
    }


def changed_fields(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """Which writable fields differ, ignoring who leads the database (elected, not edited)."""

    def normal(fields: dict[str, object], key: str) -> object:
        value = fields.get(key)
        if key == "roles" and isinstance(value, list):
            return sorted(r for r in value if r != "database-leader")
        return value

    keys = ("description", "failure_domain", "roles", "groups", "config")
    return [key for key in keys if normal(before, key) != normal(after, key)]


SCHEDULER_VALUES = {
    "all": "Instances may be placed here automatically (default)",
    "group": "Only when the instance targets one of this member's groups",
    "manual": "Only when the instance targets this member by name",
}


def invalid_member_fields(fields: dict[str, Any]) -> str:
    """Why Incus would refuse these writable fields, checked before sending (Incus answers
    some of these with a 500, or clears the member's description); "" when they are fine."""
    for key, value in (fields.get("config") or {}).items():
        if key == "scheduler.instance":
            if value not in SCHEDULER_VALUES:
                return f'Invalid value "{value}" for "scheduler.instance" (not one of {", ".join(SCHEDULER_VALUES)})'
        elif not key.startswith("user."):
            return f'Invalid cluster configuration key "{key}" (only scheduler.instance and user.* are allowed)'
    for role in fields.get("roles") or []:
        if role not in ASSIGNABLE_ROLES and role not in AUTOMATIC_ROLES and role != "database-client":
            return f'Invalid cluster role "{role}"'
    if not (fields.get("failure_domain") or "").strip():
        return "Failure domain name can't be empty"
    if not fields.get("groups"):
        return "Cluster members need to belong to at least one group"
    return ""
