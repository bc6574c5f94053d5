"""Healing on the real cluster: a member frozen (SIGSTOP) past low offline and healing
thresholds is healed by Incus; two dashboards on one database fire the fencing hook and the
webhook once, flag the member on every page, across a restart, until it is restored. The
cluster is a throwaway one, so its low thresholds and healed members never reach other tests.
The healing section says whether fencing is set, never its secret parts, and when it fired."""

import re
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.conftest import PERSONAS, Dashboard, wait_until
from webui import db

pytestmark = pytest.mark.cluster

HEALED = "member3"
THRESHOLDS = {"cluster.offline_threshold": "11", "cluster.healing_threshold": "11"}


class Webhook(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        type(self).received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def healing_section(dashboard: Dashboard, role: str = "admin") -> str:
    """The Cluster page's healing section, as a person reads it."""
    html = dashboard.page_as(role, "/cluster")
    found = re.search(r'<section id="healing".*?</section>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))) if found else ""


SECRET_PARTS = ("s3cret", "T0K3N", "key=abc", "fence:", "/hooks")


def test_the_healing_section_says_whether_fencing_is_set_and_when_it_last_fired(cluster, tmp_path):
    """Seen on a real cluster: the healing section never said whether a fencing hook was set."""
    env = {
        "INCUS_WEBUI_HEALED_HOOK": "/usr/local/bin/fence-bmc --password s3cret",
        "INCUS_WEBUI_HEALED_WEBHOOK": "https://fence:s3cret@bmc.example:8443/hooks/T0K3N?key=abc",
    }
    server = Dashboard(cluster.settings_file, tmp_path / "fencing.db", **env)
    try:
        for role in PERSONAS:
            text = wait_until(lambda role=role: (t := healing_section(server, role)) and "Fencing hook" in t and t)
            assert "Fencing hook set: runs fence-bmc · never fired" in text, text
            assert "Fencing webhook set: posts to https://bmc.example:8443 · never fired" in text, text
            assert not [part for part in SECRET_PARTS if part in server.page_as(role, "/cluster")], role
    finally:
        server.stop()
    # Another dashboard process fired the hook (and the webhook failed): in the shared database.
    engine = db.make_engine(server.database_url)
    audit = server.settings().audit_log(engine)
    at = datetime(2026, 12, 7, 5, 0, 0, tzinfo=UTC)
    audit.append(at=at, actor="incus-webui", via="healing", action="healed-hook", target="member3", outcome="succeeded")
    audit.append(
        at=at, actor="incus-webui", via="healing", action="healed-webhook", target="member3", outcome="failed",
        error="HTTP 503",
    )
    engine.dispose()
    server = Dashboard(cluster.settings_file, tmp_path / "fencing.db", port=server.port, **env)
    try:
        text = wait_until(lambda: (t := healing_section(server, "auditor")) and "last fired" in t and t)
        assert "runs fence-bmc · last fired 2026-12-07 05:00:00 UTC for member3: succeeded" in text, text
        failed = "last fired 2026-12-07 05:00:00 UTC for member3: failed, HTTP 503"
        assert f"posts to https://bmc.example:8443 · {failed}" in text, text
    finally:
        server.stop()


def banner(dashboard: Dashboard) -> bool:
    return f"{HEALED} was healed" in dashboard.get("/").text


def test_a_frozen_member_is_healed_and_two_dashboards_fence_it_once(healing_cluster, postgres, tmp_path):
    cluster = healing_cluster
    url = postgres.create_database("healing")
    fired = tmp_path / "fired.log"
    # The hook appends its argument and the event's action (from stdin) to one log.
    hook = f"sh -c 'echo \"$0 $(grep -o cluster-member-healed)\" >> {fired}'"
    Webhook.received = []
    receiver = HTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    env = {"INCUS_WEBUI_HEALED_HOOK": hook, "INCUS_WEBUI_HEALED_WEBHOOK": f"http://127.0.0.1:{receiver.server_port}/"}
    first = Dashboard(cluster.settings_file, tmp_path / "a.db", database_url=url, **env)
    second = Dashboard(cluster.settings_file, tmp_path / "b.db", database_url=url, personas=False, **env)
    for key, value in THRESHOLDS.items():
        cluster.incus("config", "set", key, value)
    try:
        cluster.freeze(HEALED)
        try:
            wait_until(lambda: fired.exists() and Webhook.received, timeout=240)
            wait_until(lambda: banner(first), timeout=30)
        finally:
            cluster.thaw(HEALED)
        wait_until(lambda: cluster.member_status(HEALED) == "Evacuated", timeout=120)
        assert fired.read_text() == f"{HEALED} cluster-member-healed\n"  # once, by one of the two
        assert len(Webhook.received) == 1 and b"cluster-member-healed" in Webhook.received[0]
        audit = first.get("/audit.json", params={"action": "healed-hook"}).json()
        assert [(r["target"], r["outcome"]) for r in audit if r["action"] == "healed-hook"] == [(HEALED, "succeeded")]
        # When it fired, on the healing section of both (the leader fired, the follower hears).
        for each in (first, second):
            wait_until(lambda d=each: f"for {HEALED}: succeeded" in healing_section(d), timeout=30)
        page = first.get("/").text
        assert "no heartbeat and no ICMP reply" in page and "restored by hand" in page
        assert HEALED in first.get("/maintenance").text

        second.stop()  # a restart: the flag comes back from the database
        second = Dashboard(cluster.settings_file, tmp_path / "b.db", database_url=url, port=second.port, **env)
        # The display URL moves its token into a cookie (303), then shows the wall.
        assert "HEALED" in second.admin.get(second.display_url("healing-wall"), follow_redirects=True).text
        cluster.incus("cluster", "restore", HEALED, "--force", timeout=300)
        wait_until(lambda: not banner(first), timeout=60)
        assert len(Webhook.received) == 1
    finally:
        cluster.thaw(HEALED)
        receiver.shutdown()
        receiver.server_close()
        first.stop()
        second.stop()
