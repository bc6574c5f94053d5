from webui.incus.models import Member, Server
from webui.live.snapshot import ClusterSnapshot
from webui.services.upgrade.status import upgrade_status


def server(version: str, extensions: int) -> Server:
    return Server(environment={"server_version": version}, api_extensions=[f"e{i}" for i in range(extensions)])


def snapshot(*members: tuple[str, str], servers: dict[str, Server]) -> ClusterSnapshot:
    return ClusterSnapshot(members=tuple(Member(server_name=n, status=s) for n, s in members), servers=servers)


def test_one_version_everywhere_is_not_an_upgrade():
    status = upgrade_status(snapshot(("m1", "Online"), ("m2", "Online"),
                                     servers={"m1": server("6.0.4", 450), "m2": server("6.0.4", 450)}))
    assert not status.mid_upgrade
    assert status.versions == ["6.0.4"] and status.extension_counts == [450]


def test_different_versions_or_a_blocked_member_mean_mid_upgrade():
    versions = upgrade_status(snapshot(("m1", "Online"), ("m2", "Online"),
                                       servers={"m1": server("6.0.4", 450), "m2": server("6.0.5", 452)}))
    assert versions.mid_upgrade and versions.versions == ["6.0.4", "6.0.5"]
    blocked = upgrade_status(snapshot(("m1", "Online"), ("m2", "Blocked"), servers={"m1": server("6.0.5", 452)}))
    assert blocked.mid_upgrade and blocked.blocked == ("m2",)
    assert blocked.members[1].version == "" and blocked.members[1].extensions is None


def test_offline_members_are_listed():
    status = upgrade_status(snapshot(("m1", "Online"), ("m2", "Offline"), servers={}))
    assert status.offline == ("m2",) and not status.mid_upgrade


def test_mid_upgrade_the_blocked_members_are_next_and_the_silent_upgraded_one_waits():
    # As Incus 6.0.4 members report it once member1 runs 7.0.2: member1 answers nothing.
    blocked = "Needs updating to newer version"
    state = ClusterSnapshot(
        members=(
            Member(server_name="m1", status="Online", message="Fully operational"),
            Member(server_name="m2", status="Blocked", message=blocked),
            Member(server_name="m3", status="Blocked", message=blocked),
        ),
        servers={name: server("6.0.4", 450) for name in ("m1", "m2", "m3")},
        silent=frozenset({"m1"}),
    )
    status = upgrade_status(state)
    assert status.mid_upgrade and status.to_upgrade == ("m2", "m3") and status.waiting == ("m1",)
    assert status.blocked_messages == [blocked]
    assert [m.answering for m in status.members] == [False, True, True]


def test_with_no_member_blocked_the_ones_behind_the_newest_version_are_next():
    status = upgrade_status(snapshot(("m1", "Online"), ("m2", "Online"), ("m3", "Online"),
                                     servers={"m1": server("7.0.2", 562), "m2": server("6.0.4", 450),
                                              "m3": server("6.0.10", 452)}))
    assert status.to_upgrade == ("m2", "m3") and status.waiting == ()


def test_once_all_run_one_version_nothing_is_left_to_do():
    status = upgrade_status(snapshot(("m1", "Online"), ("m2", "Online"),
                                     servers={"m1": server("7.0.2", 562), "m2": server("7.0.2", 562)}))
    assert not status.mid_upgrade and status.to_upgrade == () and status.members[0].line == "7.0"


def test_one_version_read_from_every_member_is_uniform():
    same = upgrade_status(snapshot(("m1", "Online"), ("m2", "Online"),
                                   servers={"m1": server("6.0.4", 450), "m2": server("6.0.4", 450)}))
    assert same.uniform == "6.0.4"
    unread = upgrade_status(snapshot(("m1", "Online"), ("m2", "Online"), servers={"m1": server("6.0.4", 450)}))
    assert unread.uniform == ""  # m2 may run another version
    extensions = upgrade_status(snapshot(("m1", "Online"), ("m2", "Online"),
                                         servers={"m1": server("6.0.4", 450), "m2": server("6.0.4", 451)}))
    assert extensions.uniform == ""
