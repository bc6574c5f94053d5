from webui.incus.models import Member, Server
from webui.live.snapshot import ClusterSnapshot
from webui.services.upgrades import upgrade_status


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
