"""Where each instance sits and what evacuating or healing its member would do to it: the
evacuation plan's rule (tests/unit/test_evacuation_plan.py), and healing's ("heal" mode in
Incus's evacuateInstancesFunc, and healClusterMember's remote-storage-only migration)."""

from webui.incus.models import Instance, Member
from webui.live.snapshot import ClusterSnapshot
from webui.services.instances.placement import Filters, choices, placements
from webui.services.maintenance.healing_plan import heal_instance

SHARED = frozenset({"shared"})


def member(name: str, status: str = "Online") -> Member:
    return Member(server_name=name, status=status, architecture="x86_64")


def instance(name: str = "i", pool: str = "shared", kind: str = "container", status: str = "Running",
             location: str = "m1", project: str = "default", own: dict | None = None, **expanded: str) -> Instance:
    return Instance(
        name=name, location=location, type=kind, status=status, project=project, config=own or {},
        expanded_config={**(own or {}), **expanded},
        expanded_devices={"root": {"type": "disk", "path": "/", "pool": pool}},
    )


def cluster(*instances: Instance) -> ClusterSnapshot:
    return ClusterSnapshot(members=(member("m1"), member("m2")), instances=instances)


def test_healing_moves_only_instances_on_remote_storage():
    snapshot = cluster()
    assert heal_instance(snapshot, instance(), SHARED).outcome == "moved to m2 and started there"
    local = heal_instance(snapshot, instance(pool="local"), SHARED)
    assert local.outcome == "stays on its dead member"
    assert local.why == "its root disk is on the local pool “local”: only remote storage outlives it"


def test_healing_moves_a_live_migratable_vm_cold_and_leaves_what_would_stop():
    snapshot = cluster()
    live = instance(kind="virtual-machine", **{"migration.stateful": "true"})
    assert heal_instance(snapshot, live, SHARED).outcome == "moved to m2 and started there"
    stop = heal_instance(snapshot, instance(**{"cluster.evacuate": "stop"}), SHARED)
    assert (stop.outcome, stop.why) == ("stays on its dead member, untouched", "its cluster.evacuate is stop")
    stopped = instance(status="Stopped")
    assert heal_instance(snapshot, stopped, SHARED).outcome == "moved to m2, stays stopped"


def test_healing_without_another_member_moves_nothing():
    snapshot = ClusterSnapshot(members=(member("m1"), member("m2", "Evacuated")))
    assert heal_instance(snapshot, instance(), SHARED).why.startswith("no other member can take it")


def test_each_row_says_what_holds_the_instance_and_where_its_setting_comes_from():
    nic = Instance(name="n", location="m1", status="Running", expanded_config={"cluster.evacuate": "auto"},
                   expanded_devices={"root": {"type": "disk", "path": "/", "pool": "local"},
                                     "eth0": {"type": "nic", "nictype": "bridged", "parent": "br0"},
                                     "gpu": {"type": "gpu"}})
    grouped = instance("g", own={"volatile.cluster.group": "gpu", "cluster.evacuate": "migrate"})
    rows = {row.instance.name: row for row in placements(cluster(nic, grouped), SHARED, Filters())}
    assert rows["n"].local == (
        "its network device “eth0” is not on a managed network", "its gpu device “gpu” cannot move"
    )
    assert rows["n"].setting_from == "from its profiles" and not rows["n"].pool_remote
    assert rows["n"].evacuation.action == "stop" and rows["n"].evacuation.outcome == "stays here, stopped"
    assert rows["g"].group == "gpu" and rows["g"].setting == "migrate"
    assert rows["g"].setting_from == "set on the instance"
    # placed in the group gpu, which m2 is not in: stopped, and nowhere to go
    assert rows["g"].pool_remote and rows["g"].evacuation.outcome == "stays here, stopped"
    assert rows["g"].evacuation.why.startswith("no other member can take it")


def test_filters_keep_what_matches_each():
    snapshot = cluster(instance("a"), instance("b", location="m2", project="p", kind="virtual-machine"),
                       instance("c", status="Stopped"))
    names = lambda **f: [row.instance.name for row in placements(snapshot, SHARED, Filters(**f))]  # noqa: E731
    assert names() == ["a", "c", "b"]  # by member, project, name
    assert names(member="m2") == ["b"] and names(project="p") == ["b"] and names(type="virtual-machine") == ["b"]
    assert names(status="Stopped") == ["c"] and names(member="m1", status="Running") == ["a"]
    assert names(member="<script>") == []
    offered = choices(snapshot)
    assert offered["member"] == ["m1", "m2"] and offered["project"] == ["default", "p"]
    assert "Running" in offered["status"] and offered["type"] == ["container", "virtual-machine"]
