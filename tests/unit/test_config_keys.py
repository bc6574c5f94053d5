import pytest

from webui.services.config_keys import GLOBAL, LOCAL, enables_healing, invalid_config, visible_keys


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
    ],
)
def test_values_incus_would_refuse_are_refused_before_sending(key, value):
    assert key in invalid_config({key: value})


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
        ("cluster.max_voters", ""),  # unset: back to the default
        ("user.anything", "whatever"),  # unknown to the dashboard: Incus decides
    ],
)
def test_good_values_pass(key, value):
    assert invalid_config({key: value}) == {}


def test_a_global_key_cannot_be_set_on_one_member():
    assert "global" in invalid_config({"cluster.max_voters": "5"}, target="member2")["cluster.max_voters"]


def test_keys_show_only_when_the_api_extension_exists():
    without = {k.name for k in visible_keys(["cluster_healing"])}
    assert "cluster.rebalance.interval" not in without and "cluster.healing_threshold" in without
    assert "cluster.rebalance.interval" in {k.name for k in visible_keys(["cluster_rebalance"])}


def test_keys_split_into_global_and_local():
    extensions = ["cluster_healing", "cluster_rebalance"]
    assert {k.scope for k in visible_keys(extensions, GLOBAL)} == {GLOBAL}
    assert [k.name for k in visible_keys(extensions, LOCAL)] == ["cluster.https_address"]


def test_healing_is_being_enabled_only_when_it_goes_from_off_to_on():
    assert enables_healing({}, {"cluster.healing_threshold": "30"})
    assert not enables_healing({"cluster.healing_threshold": "30"}, {"cluster.healing_threshold": "60"})
    assert not enables_healing({}, {"cluster.healing_threshold": "0"})
    assert not enables_healing({}, {"cluster.max_voters": "5"})
