"""Features by API extension, never by version: `snapshot.features.has(NAME)` answers from the
`api_extensions` each member sent, and no comparison of versions decides a feature anywhere in
webui/ (the only ones left read the upgrade's state, or key a cache by version)."""

import ast
import json
import re
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

import webui
from webui.incus import features as f
from webui.incus.models import Member, Server
from webui.live.snapshot import ClusterSnapshot

PACKAGE = Path(webui.__file__).parent
ROOT = PACKAGE.parent
RECORDED = Path(__file__).parent / "recorded"
VERSION_TEXT = re.compile(r"^\d+\.\d+(\.\d+)?$")  # "6.0", "7.0.1"; not "0.0.0.0"

# The comparisons of versions webui/ makes, none deciding a feature: the upgrade's own state
# (which versions run, which member is behind, a target newer than what runs) and the watcher's
# cache of Incus's key descriptions, fetched again when the version changes.
LEGITIMATE = {
    ("webui/live/watcher.py", "metadata.version != server.version"),
    ("webui/services/upgrade/plan.py", "version_key(typed) <= version_key(uniform)"),
    ("webui/services/upgrade/plan.py", "server.version != step.from_version"),
    ("webui/services/upgrade/status.py", "len(self.versions) > 1"),
    ("webui/services/upgrade/status.py", "len(self.versions) == 1"),
    ("webui/services/upgrade/status.py", "m.version != self.newest"),
    ("webui/templates/cluster/_alerts.html", "upgrade.versions|length > 1"),
}


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _mentions_version(node: ast.AST) -> bool:
    """A version string, or a name or attribute about versions (not the snapshot's own counter)."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            if VERSION_TEXT.match(sub.value) or sub.value == "server_version":
                return True
        name = _name(sub)
        if "version" in name.lower() and not (isinstance(sub, ast.Attribute) and _name(sub.value) == "snapshot"):
            return True
    return False


def python_comparisons(source: str) -> list[str]:
    """Comparisons and startswith/endswith tests that involve a version, as written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        asks = isinstance(node, ast.Compare) or (
            isinstance(node, ast.Call) and _name(node.func) in ("startswith", "endswith")
        )
        if asks and _mentions_version(node):
            found.append(ast.unparse(node))
    return found


def template_comparisons(source: str) -> list[str]:
    """The same in a Jinja template: the lines holding such a comparison."""
    lines = source.splitlines()
    found = []
    for node in Environment(extensions=["jinja2.ext.do"]).parse(source).find_all((nodes.Compare, nodes.Call)):
        if isinstance(node, nodes.Call) and not (
            isinstance(node.node, nodes.Getattr) and node.node.attr in ("startswith", "endswith")
        ):
            continue
        for sub in [node, *node.find_all((nodes.Const, nodes.Getattr, nodes.Name))]:
            text = sub.value if isinstance(sub, nodes.Const) else ""
            name = sub.attr if isinstance(sub, nodes.Getattr) else sub.name if isinstance(sub, nodes.Name) else ""
            if (isinstance(text, str) and VERSION_TEXT.match(text)) or "version" in name.lower():
                found.append(lines[node.lineno - 1])
                break
    return found


def version_comparisons() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for text in python_comparisons(path.read_text()):
            found.add((str(path.relative_to(ROOT)), text))
    for path in sorted((PACKAGE / "templates").rglob("*.html")):
        for line in template_comparisons(path.read_text()):
            known = next((t for p, t in LEGITIMATE if p == str(path.relative_to(ROOT)) and t in line), line.strip())
            found.add((str(path.relative_to(ROOT)), known))
    return found


def test_no_version_comparison_decides_a_feature():
    assert version_comparisons() == LEGITIMATE


def test_the_scan_catches_a_feature_decided_by_version():
    assert python_comparisons('if server.version >= "6.0.6":\n    pass') == ["server.version >= '6.0.6'"]
    assert python_comparisons('ok = snapshot.server.version.startswith("7.")') != []
    assert python_comparisons("ok = environment['server_version'] > line") != []
    assert python_comparisons("fresh = seen != snapshot.version") == []  # the snapshot's counter
    assert template_comparisons('{% if snapshot.server.version >= "7.0" %}x{% endif %}') != []
    assert template_comparisons('{% if m.version.startswith("6.") %}x{% endif %}') != []
    assert template_comparisons('{% if snapshot.features.has("cluster_healing") %}x{% endif %}') == []


def server_reply(name: str) -> Server:
    return Server.model_validate(json.loads((RECORDED / name).read_text()))


OLD = server_reply("server_6.0.4.json")  # Incus 6.0.4: healing and rebalancing, none of the newer three
NEW = server_reply("server_7.0.json")  # Incus 7.0: all of them


def test_incus_6_0_4_has_healing_and_rebalancing_and_not_the_newer_features():
    have = f.features_of(OLD, {"m1": OLD, "m2": OLD})
    assert have.has(f.CLUSTER_HEALING) and have.has(f.CLUSTER_REBALANCE)
    for newer in (f.CLUSTER_EVACUATING_RESTORING, f.CLUSTERING_GROUPS_CONFIG, f.SERVER_SHUTDOWN_ACTION):
        assert not have.has(newer)
        assert f.features_of(NEW, {"m1": NEW}).has(newer)


def test_mid_upgrade_a_feature_counts_only_once_every_member_has_it():
    mixed = f.features_of(NEW, {"m1": NEW, "m2": OLD})
    assert not mixed.has(f.CLUSTERING_GROUPS_CONFIG)
    assert mixed.has_on("m1", f.CLUSTERING_GROUPS_CONFIG) and not mixed.has_on("m2", f.CLUSTERING_GROUPS_CONFIG)
    assert not mixed.has_on("m9", f.CLUSTER_HEALING)  # never read


def test_before_any_member_is_read_the_member_in_use_answers():
    assert f.features_of(NEW, {}).has(f.SERVER_SHUTDOWN_ACTION)
    assert not f.features_of(None, {}).has(f.CLUSTER_HEALING)


def test_a_feature_is_asked_by_a_name_incus_has():
    with pytest.raises(KeyError):
        f.Features().has("cluster_evacuating_restorin")
    assert f.KNOWN <= set(NEW.api_extensions)


def test_the_snapshot_reads_its_features_from_each_member():
    snapshot = ClusterSnapshot(members=(Member(server_name="m1"),), server=NEW, servers={"m1": OLD})
    assert not snapshot.features.has(f.CLUSTER_EVACUATING_RESTORING)


def members_7_0(status: str) -> tuple[Member, ...]:
    """The 7.0 cluster's recorded member list, member2 in `status` as Incus writes it for a member
    in that state (`internal/server/db/node.go`: "Unavailable due to maintenance"). The dev
    cluster's evacuations end too fast to record one mid-way."""
    found = [Member.model_validate(m) for m in json.loads((RECORDED / "members_7.0.json").read_text())]
    maintenance = {"status": status, "message": "Unavailable due to maintenance"}
    return tuple(m.model_copy(update=maintenance) if m.server_name == "member2" else m for m in found)


@pytest.mark.parametrize("status", ["Evacuating", "Restoring"])
def test_incus_own_evacuating_and_restoring_statuses_are_shown_as_it_says_them(status):
    from tests.unit.test_recent import render
    from webui.services.maintenance.wall import tile, totals
    from webui.views.noc import tile_view

    members = members_7_0(status)
    snapshot = ClusterSnapshot(members=members, server=NEW, servers={m.server_name: NEW for m in members})
    assert tile(snapshot, members[1]).status == status  # no run seen: Incus's own word
    assert (status, 1) in totals(snapshot)
    html = render("noc/_tile.html", snapshot, **tile_view(snapshot, "member2"))
    assert status.upper() in html and "Unavailable due to maintenance" in html


def test_before_cluster_evacuating_restoring_the_wall_infers_evacuating_from_the_run():
    from tests.unit.test_wall import run
    from webui.services.maintenance.wall import tile

    members = (Member(server_name="m2", status="Evacuated"),)  # Incus 6.0.4 says so at once
    running = (run("m2"),)
    old = ClusterSnapshot(members=members, maintenance=running, server=OLD, servers={"m2": OLD})
    assert tile(old, members[0]).status == "Evacuating"
    new = ClusterSnapshot(members=members, maintenance=running, server=NEW, servers={"m2": NEW})
    assert tile(new, members[0]).status == "Evacuated"  # an Incus that has the status is believed


def test_core_shutdown_action_is_offered_where_incus_has_server_shutdown_action():
    from tests.unit.test_recent import render
    from webui.incus.models import ConfigKey, ConfigMetadata
    from webui.services.configuration.form import field_name, form
    from webui.services.configuration.keys import CHOICES, default, input_kind, invalid_config
    from webui.views.common import alerts_view

    evacuating = NEW.model_copy(update={"config": {**NEW.config, "core.shutdown_action": "evacuate"}})
    new = ClusterSnapshot(server=evacuating, servers={"m1": NEW})
    panels = render("cluster/_panels.html", new, **alerts_view(new))
    assert "first evacuates it, then shuts down any instance left" in panels
    old = ClusterSnapshot(server=OLD, servers={"m1": OLD})
    panels = render("cluster/_panels.html", old, **alerts_view(old))
    assert "needs the API extension server_shutdown_action" in panels

    # Incus 7.0 describes the key (internal/server/cluster/config/config.go): a choice of its two words.
    key = ConfigKey(name="core.shutdown_action", group="core", type="string", default="`shutdown`")
    assert input_kind(key) == "choice"
    metadata = ConfigMetadata(server=(key,))
    assert invalid_config(metadata, {"core.shutdown_action": "migrate"}) == {
        "core.shutdown_action": "Must be shutdown or evacuate"
    }
    assert invalid_config(metadata, {"core.shutdown_action": "evacuate"}) == {}
    shown = form(ClusterSnapshot(server=evacuating, servers={"m1": NEW}, metadata=metadata))
    html = render(
        "cluster/_config.html", new, form=shown, editable=True, hidden=set(), field_name=field_name,
        input_kind=input_kind, default=default, choices=CHOICES, healing_warning="",
    )
    assert '<option value="evacuate" selected>evacuate</option>' in html and "(default: shutdown)" in html
