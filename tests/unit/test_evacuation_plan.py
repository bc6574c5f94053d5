"""The evacuation plan against Incus's rules (cited in webui/services/maintenance/evacuation_plan.py): each
mode × instance type × cluster.evacuate × devices × migration.stateful × running or not."""

import pytest

from webui.incus.models import Instance, Member, Server
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance.evacuation_plan import (
    NEEDS_CRIU,
    NO_CRIU,
    database_role,
    evacuation_warnings,
    named_instance,
    plan_instance,
    plan_warnings,
)

LOCAL_DISK = {"data": {"type": "disk", "source": "/srv", "path": "/srv"}}
REMOTE_DISK = {"data": {"type": "disk", "pool": "shared", "source": "vol", "path": "/srv"}}
UNMANAGED_NIC = {"eth0": {"type": "nic", "nictype": "bridged", "parent": "br0"}}
MANAGED_NIC = {"eth0": {"type": "nic", "network": "incusbr0"}}
ROOT = {"root": {"type": "disk", "path": "/", "pool": "local"}}


def member(name: str, status: str = "Online", roles: tuple[str, ...] = (), **config: str) -> Member:
    return Member(server_name=name, status=status, roles=list(roles), architecture="x86_64", config=config)


def cluster(*members: Member, server: Server | None = None) -> ClusterSnapshot:
    return ClusterSnapshot(members=members or (member("m1"), member("m2"), member("m3")), server=server)


def instance(kind: str = "container", status: str = "Running", evacuate: str = "", stateful: bool = False,
             devices: dict | None = None, **config: str) -> Instance:
    expanded = dict(config)
    if evacuate:
        expanded["cluster.evacuate"] = evacuate
    if stateful:
        expanded["migration.stateful"] = "true"
    return Instance(name="i", location="m1", type=kind, status=status, expanded_config=expanded,
                    expanded_devices={**ROOT, **(devices or {})})


def plan(inst: Instance, mode: str, snapshot: ClusterSnapshot | None = None, pools=frozenset()):
    return plan_instance(snapshot or cluster(), inst, mode, pools)


# (mode, type, cluster.evacuate, devices, stateful, status) -> (action, outcome starts with, Incus's error)
MATRIX = [
    # auto: the instance's own setting, else its devices, else its type and migration.stateful
    ("auto", "container", "", None, False, "Running", "migrate", "moved to m2 or m3 and started there", ""),
    ("auto", "container", "", None, True, "Running", "migrate", "moved to m2 or m3 and started there", ""),
    ("auto", "virtual-machine", "", None, True, "Running", "live-migrate", "moved live to m2 or m3", ""),
    ("auto", "virtual-machine", "", None, False, "Running", "migrate", "moved to m2 or m3 and started", ""),
    ("auto", "virtual-machine", "", None, True, "Stopped", "migrate", "moved to m2 or m3, stays stopped", ""),
    ("auto", "container", "", LOCAL_DISK, False, "Running", "stop", "stays here, stopped", ""),
    ("auto", "container", "", UNMANAGED_NIC, False, "Running", "stop", "stays here, stopped", ""),
    ("auto", "container", "", MANAGED_NIC, False, "Running", "migrate", "moved to m2 or m3", ""),
    ("auto", "container", "stop", None, False, "Running", "stop", "stays here, stopped", ""),
    ("auto", "container", "force-stop", None, False, "Running", "force-stop", "stays here, stopped", ""),
    ("auto", "container", "live-migrate", None, False, "Running", "live-migrate", "fails unless CRIU", NO_CRIU),
    ("auto", "container", "migrate", LOCAL_DISK, False, "Running", "migrate", "moved to m2 or m3", ""),
    # a mode other than auto overrides both the setting and the devices
    ("migrate", "container", "stop", LOCAL_DISK, False, "Running", "migrate", "moved to m2 or m3 and started", ""),
    ("stop", "container", "migrate", None, False, "Running", "stop", "stays here, stopped", ""),
    ("force-stop", "virtual-machine", "", None, True, "Running", "force-stop", "stays here, stopped", ""),
    ("live-migrate", "container", "", None, False, "Running", "live-migrate", "fails unless CRIU", NO_CRIU),
    ("live-migrate", "container", "", None, True, "Running", "live-migrate", "fails unless CRIU", NO_CRIU),
    ("live-migrate", "container", "", None, False, "Stopped", "migrate", "moved to m2 or m3, stays stopped", ""),
    ("live-migrate", "virtual-machine", "", None, True, "Running", "live-migrate", "moved live to m2 or m3", ""),
    ("live-migrate", "virtual-machine", "", None, False, "Running", "live-migrate", "fails: Incus refuses it",
     "Live migration requires migration.stateful to be set to true"),
    ("stateful-stop", "virtual-machine", "", None, False, "Running", "stateful-stop", "fails: Incus refuses it",
     "Stateful stop requires migration.stateful to be set to true"),
    ("stateful-stop", "container", "", None, False, "Running", "stateful-stop", "fails: Incus refuses it",
     "Stateful stop requires the instance to have migration.stateful be set to true"),
    ("stateful-stop", "container", "", None, True, "Running", "stateful-stop", "fails unless CRIU", NEEDS_CRIU),
    ("stateful-stop", "virtual-machine", "", None, True, "Running", "stateful-stop", "stays here, stopped", ""),
    ("stateful-stop", "virtual-machine", "", None, False, "Stopped", "stateful-stop", "stays here, stopped", ""),
]


@pytest.mark.parametrize(("mode", "kind", "evacuate", "devices", "stateful", "status", "action", "outcome", "fails"),
                         MATRIX)
def test_the_plan_does_what_incus_does(mode, kind, evacuate, devices, stateful, status, action, outcome, fails):
    planned = plan(instance(kind, status, evacuate, stateful, devices), mode)
    assert (planned.action, planned.fails) == (action, fails)
    assert planned.outcome.startswith(outcome), planned.outcome


def test_a_disk_on_a_remote_pool_moves_with_its_instance_a_local_one_keeps_it_here():
    inst = instance(devices=REMOTE_DISK)
    assert plan(inst, "auto", pools=frozenset({"shared"})).action == "migrate"
    kept = plan(inst, "auto")
    assert (kept.action, kept.why) == ("stop", "its disk “data” (/srv) is on this member only")


def test_each_instance_is_shut_down_within_its_own_timeout_and_force_stop_kills_at_once():
    slow = instance(**{"boot.host_shutdown_timeout": "120"})
    assert plan(slow, "stop").stopping == "shut down cleanly, killed after 120 s (boot.host_shutdown_timeout)"
    assert plan(instance(), "migrate").stopping == "shut down cleanly, killed after 30 s (boot.host_shutdown_timeout)"
    assert plan(slow, "force-stop").stopping == "killed at once, no clean shutdown"
    assert "keeps running" in plan(instance("virtual-machine", stateful=True), "live-migrate").stopping
    assert plan(instance(status="Stopped"), "stop").stopping == "not running (stopped)"


def test_with_no_member_to_take_it_incus_leaves_it_as_the_stop_left_it():
    alone = cluster(member("m1"), member("m2", "Evacuated"), member("m3", **{"scheduler.instance": "manual"}))
    migrated = plan(instance(), "migrate", alone)
    assert (migrated.outcome, migrated.moves) == ("stays here, stopped", False)
    live = plan(instance(), "live-migrate", alone)
    assert (live.outcome, live.fails) == ("stays here, running", "")  # Incus gives up before CRIU matters


def test_only_members_of_the_instance_group_and_architecture_receive_it():
    members = (member("m1"), member("m2"), Member(server_name="m3", status="Online", architecture="aarch64"),
               Member(server_name="m4", status="Online", architecture="x86_64", groups=["gpu"]))
    inst = instance().model_copy(update={"config": {"volatile.cluster.group": "gpu"}})
    assert plan(inst, "migrate", cluster(*members)).destinations == ("m4",)
    assert plan(instance(), "migrate", cluster(*members)).destinations == ("m2", "m4")


def test_a_stopped_instance_is_started_where_it_goes_only_if_it_autostarts():
    autostart = instance(status="Stopped", **{"boot.autostart": "true"})
    assert plan(autostart, "migrate").outcome == "moved to m2 or m3 and started there"


def test_the_plan_warns_that_one_failure_fails_the_whole_evacuation():
    planned = [plan(instance(), "live-migrate"), plan(instance("virtual-machine", stateful=True), "live-migrate")]
    assert plan_warnings(planned, "m1") == [
        "i would make Incus fail the evacuation: it then ends as failed and m1 is put back online; "
        "the instances it already moved or stopped stay so."
    ]
    assert plan_warnings(planned[1:], "m1") == []


def test_a_voter_keeps_its_vote_while_evacuated_and_a_stand_by_takes_it_at_shutdown():
    s = cluster(member("m1", roles=("database-leader", "database")), member("m2", roles=("database",)),
                member("m3", roles=("database",)), member("m4", roles=("database-standby",)),
                server=Server(config={"cluster.max_voters": "3"}))
    words = " ".join(database_role(s, s.members[1]))
    assert "one of the 3 database voters (cluster.max_voters is 3)" in words
    assert "keeps voting while evacuated" in words
    assert "Incus hands its vote to the stand-by m4: 3 voters remain." in words
    leader = " ".join(database_role(s, s.members[0]))
    assert "leads the cluster database" in leader and "elect a new leader" in leader


def test_with_no_member_to_take_its_vote_the_plan_says_how_many_failures_the_database_survives():
    s = cluster(member("m1", roles=("database",)), member("m2", roles=("database",)), member("m3", roles=("database",)))
    words = " ".join(database_role(s, s.members[1]))
    assert (
        "no other member can take its vote: 2 of 3 voters remain up, the database needs 2, "
        "so it stops if one more goes down." in words
    )
    down = cluster(member("m1", "Offline", roles=("database",)), member("m2", roles=("database",)),
                   member("m3", roles=("database",)))
    assert "loses its majority (1 of 3 voters up, 2 needed)" in " ".join(database_role(down, down.members[1]))
    assert database_role(s, member("m9")) == []


def test_evacuation_warns_about_the_member_in_use_and_few_members():
    s = cluster(member("m1", roles=("database-leader", "database")), member("m2"))
    s = ClusterSnapshot(members=s.members, server_name="m1")
    warnings = evacuation_warnings(s, s.members[0])
    assert any("talks to the cluster through this member" in w for w in warnings)
    assert "Only 1 other member is online to take its instances." in warnings


def test_incus_error_names_the_instance_it_failed_on():
    err = ('Failed to evacuate instances: Failed to migrate instance "c1" in project "default": '
           "Unable to perform live container migration. CRIU isn't installed on the source server.")
    assert named_instance(err) == ("default", "c1")
    assert named_instance("Failed to evacuate instances: context canceled") is None
