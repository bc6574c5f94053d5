"""The banner every page shows: mid-upgrade, healed members, an expiring certificate."""

from fastapi import FastAPI

from tests.certs import make_certificate
from webui.app import make_templates
from webui.incus.models import Member, Server
from webui.live.snapshot import ClusterSnapshot
from webui.routes import cluster, members
from webui.views.common import alerts_view


def render(snapshot: ClusterSnapshot) -> str:
    app = FastAPI()
    for module in (members, cluster):
        app.include_router(module.router)
    template = make_templates(app).get_template("cluster/_alerts.html")
    return template.render(snapshot=snapshot, **alerts_view(snapshot))


def server(version: str, certificate: str = "") -> Server:
    return Server(environment={"server_version": version, "certificate": certificate}, api_extensions=["a"])


def test_a_quiet_cluster_shows_no_banner():
    certificate, _ = make_certificate(days=365)
    snapshot = ClusterSnapshot(
        members=(Member(server_name="m1", status="Online"),), server=server("6.0.4", certificate),
        servers={"m1": server("6.0.4")},
    )
    assert "banner" not in render(snapshot)


def test_mixed_versions_and_blocked_members_show_the_upgrade_banner_and_the_next_step():
    snapshot = ClusterSnapshot(
        members=(
            Member(server_name="m1", status="Online"),
            Member(server_name="m2", status="Blocked", message="Needs updating to newer version"),
        ),
        servers={"m1": server("6.0.5"), "m2": server("6.0.4")},
        silent=frozenset({"m1"}),
    )
    html = " ".join(render(snapshot).split())
    assert "Cluster upgrade in progress" in html
    assert "6.0.4, 6.0.5" in html
    assert "Incus reports m2 <strong>BLOCKED</strong>: “Needs updating to newer version”" in html
    assert "answering nothing until then: m1." in html
    assert "<strong>Next:</strong> upgrade m2 to the new version" in html


def test_a_healed_member_is_flagged():
    html = render(ClusterSnapshot(members=(Member(server_name="m2", status="Evacuated"),), healed=frozenset({"m2"})))
    assert "m2 was healed" in html and "restored by hand" in html


def test_a_certificate_close_to_expiry_is_flagged():
    certificate, _ = make_certificate(days=10)
    html = render(ClusterSnapshot(server=server("6.0.4", certificate)))
    assert "The cluster certificate expires in 9 days" in html or "expires in 10 days" in html
