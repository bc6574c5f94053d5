"""/metrics labels requests to Incus by endpoint: one label per kind of request, whatever names
the cluster holds."""

from webui.incus.transport import endpoint


def test_names_become_a_placeholder():
    assert endpoint("/1.0/cluster/members/m1/state?x=y") == "/1.0/cluster/members/{name}/state"
    assert endpoint("/1.0/operations/abc/wait") == "/1.0/operations/{name}/wait"


def test_a_group_name_is_never_a_label():
    huge = "g" * 60_000
    assert endpoint(f"/1.0/cluster/groups/{huge}") == "/1.0/cluster/groups/{name}"


def test_a_label_has_a_bounded_length_whatever_the_path():
    assert len(endpoint("/1.0" + "/x" * 10_000)) < 100
