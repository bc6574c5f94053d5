import json
from pathlib import Path

import pytest

from webui.incus.models import ConfigMetadata
from webui.services.configuration.keys import (
    GLOBAL,
    LOCAL,
    default,
    enables_healing,
    find,
    grouped,
    input_kind,
    invalid_config,
    server_keys,
)

# `GET /1.0/metadata/configuration` as Incus 6.0.4 answered it (recorded from the dev cluster).
RECORDED = Path(__file__).parent.parent / "recorded" / "metadata_configuration_6.0.4.json"
METADATA = ConfigMetadata.from_incus("6.0.4", json.loads(RECORDED.read_text()))


def test_every_server_key_incus_describes_is_read_with_its_scope():
    keys = server_keys(METADATA)
    assert len(keys) == 75
    groups = {"acme", "cluster", "core", "images", "loki", "miscellaneous", "oidc", "openfga"}
    assert {g.name for g in grouped(keys)} == groups
    local = {k.name for k in server_keys(METADATA, LOCAL)}
    # 11, not the 12 the issue counted: images.default_architecture has no scope, and Incus treats
    # it as global (set with --target member2, member1 has it too).
    assert len(local) == 11 and {"core.metrics_address", "core.https_address", "storage.backups_volume"} <= local
    assert find(METADATA, "images.default_architecture").scope == GLOBAL  # no scope given: global
    assert [k.name for k in METADATA.member] == ["scheduler.instance", "user.*"]


def test_defaults_types_and_widgets_come_from_the_metadata():
    assert default(find(METADATA, "cluster.join_token_expiry")) == "3H"
    assert default(find(METADATA, "core.remote_token_expiry")) == ""  # "no expiry" is words, not a value
    assert input_kind(find(METADATA, "core.metrics_authentication")) == "bool"
    assert input_kind(find(METADATA, "cluster.max_voters")) == "integer"
    assert input_kind(find(METADATA, "cluster.rebalance.cooldown")) == "duration"
    assert input_kind(find(METADATA, "acme.domain")) == "text"


def test_search_matches_names_and_descriptions():
    found = grouped(server_keys(METADATA), "bgp")
    assert [g.name for g in found] == ["core"]
    assert {k.name for k in found[0].keys} == {"core.bgp_address", "core.bgp_asn", "core.bgp_routerid"}
    assert grouped(server_keys(METADATA), "Loki password")[0].keys[0].name == "loki.auth.password"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cluster.max_voters", "4"),
        ("cluster.max_voters", "1"),
        ("cluster.max_voters", "three"),
        ("cluster.max_standby", "6"),
        ("cluster.offline_threshold", "10"),
        ("cluster.healing_threshold", "-1"),
        ("cluster.images_minimal_replica", "0"),
        ("cluster.images_minimal_replica", "-2"),
        ("cluster.join_token_expiry", "3x"),
        ("cluster.rebalance.threshold", "5"),
        ("cluster.rebalance.batch", "0"),
        ("cluster.rebalance.cooldown", "soon"),
        ("core.metrics_authentication", "maybe"),
        ("core.shutdown_timeout", "5s"),
    ],
)
def test_values_incus_would_refuse_are_refused_before_sending(key, value):
    assert key in invalid_config(METADATA, {key: value})


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cluster.max_voters", "5"),
        ("cluster.max_standby", "0"),
        ("cluster.offline_threshold", "11"),
        ("cluster.healing_threshold", "0"),
        ("cluster.images_minimal_replica", "-1"),
        ("cluster.join_token_expiry", "1d 12H"),
        ("cluster.rebalance.threshold", "100"),
        ("cluster.rebalance.cooldown", "6H"),
        ("core.metrics_authentication", "false"),
        ("cluster.max_voters", ""),  # unset: back to the default
        ("user.anything", "whatever"),  # unknown to Incus's metadata: Incus decides
    ],
)
def test_good_values_pass(key, value):
    assert invalid_config(METADATA, {key: value}) == {}


def test_a_global_key_cannot_be_set_on_one_member():
    assert "global" in invalid_config(METADATA, {"cluster.max_voters": "5"}, target="member2")["cluster.max_voters"]
    assert invalid_config(METADATA, {"core.metrics_address": "127.0.0.1:9100"}, target="member2") == {}


def test_before_the_metadata_arrives_the_documented_rules_still_apply():
    assert "cluster.max_voters" in invalid_config(None, {"cluster.max_voters": "4"})


def test_healing_is_being_enabled_only_when_it_goes_from_off_to_on():
    assert enables_healing({}, {"cluster.healing_threshold": "30"})
    assert not enables_healing({"cluster.healing_threshold": "30"}, {"cluster.healing_threshold": "60"})
    assert not enables_healing({}, {"cluster.healing_threshold": "0"})
    assert not enables_healing({}, {"cluster.max_voters": "5"})
