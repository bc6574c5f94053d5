"""Incus's rules for names, and the paths built from them (webui/incus/names.py)."""

import pytest

from webui.incus import names
from webui.incus.errors import RefusedPath
from webui.incus.transport import check_path


@pytest.mark.parametrize("name", ["member1", "node_1", "a", "n.example.org", "x-y", "A9"])
def test_names_incus_allows_pass(name):
    assert names.api_name(name) == name


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("..", "start and end"),
        (".", "start and end"),
        ("", "start and end"),
        ("a/b", "'/'"),
        ("a b", "white space"),
        ("a\x00b", "control"),
        ("member1\n", "control"),
        ("-a", "start and end"),
        ("a" * 65, "64 characters"),
        ("member\uff11", "start and end"),
        ("a?b", "'?'"),
        ("m\u0435mber1", "invalid character"),  # a Cyrillic look-alike
        ("a\udc80b", "invalid character"),  # a lone surrogate: no UTF-8 carries it
    ],
)
def test_names_incus_refuses_are_refused_in_its_words(name, words):
    with pytest.raises(names.InvalidName, match=words):
        names.api_name(name)


def test_an_operation_id_is_a_uuid_as_incus_writes_it():
    assert names.operation_id("6916c8b4-6e4e-4c8c-9f7b-1c2d3e4f5a6b")
    for bad in ("nosuch", "6916C8B4-6E4E-4C8C-9F7B-1C2D3E4F5A6B", "{6916c8b4-6e4e-4c8c-9f7b-1c2d3e4f5a6b}", ".."):
        with pytest.raises(names.InvalidName):
            names.operation_id(bad)


def test_instance_and_project_names_follow_their_own_rules():
    assert names.hostname("c1") == "c1"
    for bad in ("1234", "-c", "c_1", "c.1", "a" * 64):
        with pytest.raises(names.InvalidName):
            names.hostname(bad)
    with pytest.raises(names.InvalidName, match="underscores"):
        names.project("my_project")


def test_a_path_encodes_each_segment_whole():
    assert names.path("cluster", "members", "a/b?c#d", "state") == "/1.0/cluster/members/a%2Fb%3Fc%23d/state"
    assert names.path("cluster", "members", "m\u0435mber1") == "/1.0/cluster/members/m%D0%B5mber1"  # encoded whole


@pytest.mark.parametrize("segment", ["", ".", ".."])
def test_a_dot_segment_cannot_be_built(segment):
    with pytest.raises(names.InvalidName):
        names.path("cluster", "members", segment)


def test_a_path_that_would_be_sent_elsewhere_is_refused():
    check_path("/1.0/cluster/members/member1/state")
    with pytest.raises(RefusedPath, match="/1.0/cluster"):
        check_path("/1.0/cluster/members/..")
    with pytest.raises(RefusedPath):
        check_path("/1.0/cluster/members/./member1")
