"""/metrics: what a Prometheus user expects, accepted by promtool, and what the sample
dashboard and alert rules in contrib/prometheus ask for."""

import json
import re
import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT, edit_member, wait_until

pytestmark = pytest.mark.cluster

CONTRIB = ROOT / "contrib" / "prometheus"
# scripts/install installs Debian's prometheus package for its promtool.
PROMTOOL = shutil.which("promtool")


def test_metrics_pass_promtool_and_include_the_process_and_python(dashboard):
    text = dashboard.get("/metrics").text
    assert PROMTOOL, "promtool missing: run scripts/install (Debian package prometheus)"
    check = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert dashboard.metric("process_resident_memory_bytes") > 0
    assert dashboard.metric("python_info") == 1


def test_request_latency_is_labelled_by_route_name_not_path(dashboard):
    dashboard.get("/members/member1")
    assert dashboard.metric("incus_webui_request_duration_seconds_count", route="member") >= 1
    assert "/members/member1" not in dashboard.get("/metrics").text


def test_upstream_requests_are_timed_by_endpoint(dashboard):
    state = "/1.0/cluster/members/{name}/state"
    count = "incus_webui_upstream_request_duration_seconds_count"
    # The first state round follows the first resync: a dashboard just started may not be there yet.
    wait_until(lambda: dashboard.metric(count, default=0, method="GET", endpoint=state) >= 1, timeout=30)


def test_the_cluster_is_reported_as_the_dashboard_sees_it(cluster, dashboard):
    assert dashboard.metric("incus_webui_cluster_members", status="online") == len(cluster.members)
    assert dashboard.metric("incus_webui_cluster_evacuations_in_progress") == 0
    assert dashboard.metric("incus_webui_resync_age_seconds") < 10  # the tests' poll is 1 s
    assert dashboard.metric("incus_webui_incus_reachable") == 1
    assert dashboard.metric("incus_webui_watcher_leader") == 1  # SQLite: no election, it watches


def test_a_change_is_rendered_once_and_streams_are_counted(cluster, dashboard, restore_description):
    rendered = dashboard.metric("incus_webui_render_duration_seconds_count")
    with dashboard.stream("/stream?topic=members") as stream:
        stream.wait_for(lambda f: f.event == "members", timeout=5)
        assert dashboard.metric("incus_webui_sse_streams_open") >= 1
        edit_member(cluster, restore_description, description="counted in /metrics")
        stream.wait_for(lambda f: "counted in /metrics" in f.data, timeout=10)
    assert dashboard.metric("incus_webui_render_duration_seconds_count") > rendered


def test_audit_appends_are_counted(dashboard):
    before = dashboard.metric("incus_webui_audit_appends_total")
    dashboard.login("auditor").close()  # a login is audited
    wait_until(lambda: dashboard.metric("incus_webui_audit_appends_total") > before, timeout=5)
    assert dashboard.metric("incus_webui_audit_append_failures_total") == 0


def test_cluster_series_carry_the_clusters_name_and_the_dashboards_own_do_not(dashboard):
    """With one cluster too: the same series as with several, so a query works for both."""
    (name,) = (c["name"] for c in dashboard.get("/api/v1/clusters").json()["metadata"])
    dashboard.get("/members/member1")
    labels = {
        family.name: {sample.labels.get("cluster") for sample in family.samples}
        for family in text_string_to_metric_families(dashboard.get("/metrics").text)
        if family.name.startswith("incus_webui_") and family.samples
    }
    per_cluster = {
        "incus_webui_cluster_members", "incus_webui_incus_reachable", "incus_webui_resync_age_seconds",
        "incus_webui_watcher_leader", "incus_webui_sse_streams_open", "incus_webui_upstream_request_duration_seconds",
        "incus_webui_render_duration_seconds", "incus_webui_cluster_evacuations_in_progress",
    }
    assert {family: labels[family] for family in per_cluster} == dict.fromkeys(per_cluster, {name})
    for family in ("incus_webui_request_duration_seconds", "incus_webui_audit_appends"):
        assert labels[family] == {None}, family


def test_the_alert_rules_pass_promtool():
    assert PROMTOOL, "promtool missing: run scripts/install (Debian package prometheus)"
    check = subprocess.run([PROMTOOL, "check", "rules", str(CONTRIB / "alerts.yml")], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "4 rules found" in check.stdout


def test_the_grafana_dashboard_and_the_alerts_ask_only_for_series_the_dashboard_exports(dashboard):
    exported = set(re.findall(r"^# TYPE (\w+) (\w+)", dashboard.get("/metrics").text, re.M))
    names = {name for name, _ in exported}
    names |= {f"{name}_{suffix}" for name, kind in exported for suffix in ("total", "bucket", "count", "sum")
              if kind in ("counter", "histogram")}
    queries = [target["expr"] for panel in json.loads((CONTRIB / "grafana-dashboard.json").read_text())["panels"]
               for target in panel["targets"]]
    queries += re.findall(r"expr: (.*)", (CONTRIB / "alerts.yml").read_text())
    asked = {name for query in queries for name in re.findall(r"\b((?:incus_webui|process|python)_\w+)", query)}
    assert len(asked) >= 12
    assert asked <= names, asked - names
