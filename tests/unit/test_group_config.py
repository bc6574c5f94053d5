"""A cluster group's configuration (clustering_groups_config): read from Incus's reply, typed as
KEY=VALUE lines in the groups page's form."""

import json
from pathlib import Path

import pytest

from webui.incus.models import ClusterGroup
from webui.services.errors import Refused
from webui.services.members.groups import parse_config

RECORDED = Path(__file__).parent / "recorded"


def test_the_lines_of_the_form_are_the_group_keys():
    typed = "user.rack=r1\n\n  user.room = east \ninstances.vm.cpu.x86_64.flags=-avx,+sse\n"
    assert parse_config(typed) == {"user.rack": "r1", "user.room": "east", "instances.vm.cpu.x86_64.flags": "-avx,+sse"}
    assert parse_config("") == {}


@pytest.mark.parametrize("line", ["user.rack", "=r1"])
def test_a_line_that_is_not_key_equals_value_is_refused_in_words(line):
    with pytest.raises(Refused) as refused:
        parse_config(line)
    assert refused.value.message == f"Not KEY=VALUE: {line}"


def test_incus_7_lists_groups_without_their_keys_and_the_model_reads_none():
    """Incus 7.0's recursive list sends `"config": null` whatever the group holds (recorded): the
    client asks each group for itself where groups have keys."""
    listed = [ClusterGroup.model_validate(g) for g in json.loads((RECORDED / "groups_7.0.json").read_text())]
    assert [g.configuration for g in listed] == [{}]
    shown = ClusterGroup.model_validate({"name": "gpu", "config": {"user.rack": "r1"}, "members": []})
    assert shown.configuration == {"user.rack": "r1"}
    assert "config" not in ClusterGroup(name="old").model_dump()  # 6.0's shape stays 6.0's
