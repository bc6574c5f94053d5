"""Bad input gets a clear 4xx in the dashboard's words (or Incus's), and changes nothing."""

import pytest

from tests.conftest import incus_member

pytestmark = pytest.mark.cluster

NAME = "member2"


@pytest.fixture
def unchanged(cluster):
    """Whatever the test sends, member2 is the same afterwards."""
    before = incus_member(cluster, NAME)
    yield
    assert incus_member(cluster, NAME) == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/cluster/members/no-such-member"),
        ("GET", "/api/v1/cluster/members/no-such-member/state"),
        ("PUT", "/api/v1/cluster/members/no-such-member"),
        ("PATCH", "/api/v1/cluster/members/no-such-member"),
        ("DELETE", "/api/v1/cluster/members/no-such-member"),
        ("POST", "/api/v1/cluster/members/no-such-member/state"),
    ],
)
def test_an_unknown_member_is_a_404_in_incus_words(session, method, path):
    body = {"action": "evacuate"} if path.endswith("/state") else {}
    reply = session.client.request(method, path, json=body if method != "GET" else None,
                                   headers={"X-CSRF-Token": session.token})
    assert reply.status_code == 404, reply.text
    assert reply.json() == {"type": "error", "error": "Cluster member not found", "error_code": 404}


def test_unknown_member_pages_and_forms_are_404(session):
    assert session.client.get("/members/no-such-member").status_code == 404
    assert session.client.get("/members/no-such-member/evacuate").status_code == 404
    assert session.post("/members/no-such-member/edit", data={"description": "x"}).status_code == 404
    assert session.post("/members/no-such-member/remove", data={"confirm": "x"}).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'"a string"',
        b'{"description": 5}',
        b'{"groups": "default"}',
        b'{"config": {"user.a": {"nested": 1}}}',
        b"\xff\xfe",
    ],
)
def test_a_malformed_json_body_is_a_400(session, unchanged, body):
    reply = session.client.patch(
        f"/api/v1/cluster/members/{NAME}", content=body,
        headers={"X-CSRF-Token": session.token, "Content-Type": "application/json"},
    )
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"].startswith("Invalid request")


def test_a_config_value_incus_rejects_keeps_its_words(session, unchanged):
    reply = session.api("PATCH", f"/cluster/members/{NAME}", json={"groups": ["no-such-group"]})
    assert 400 <= reply.status_code < 500, reply.text
    assert "not found" in reply.json()["error"].lower()


def test_an_unknown_scheduler_value_is_refused(session, unchanged):
    reply = session.api("PATCH", f"/cluster/members/{NAME}", json={"config": {"scheduler.instance": "sometimes"}})
    assert reply.status_code == 400, reply.text
    assert "scheduler.instance" in reply.json()["error"]


def test_an_oversized_json_body_is_a_413(session, unchanged):
    reply = session.api("PATCH", f"/cluster/members/{NAME}", json={"description": "x" * 100_000})
    assert reply.status_code == 413
    assert reply.json() == {"type": "error", "error": "Request body too large: at most 64 KiB", "error_code": 413}


def test_an_oversized_chunked_body_is_a_413(session, unchanged):
    def chunks():
        for _ in range(100):
            yield b"x" * 1024

    reply = session.client.post(
        f"/members/{NAME}/edit", content=chunks(),
        headers={"X-CSRF-Token": session.token, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status_code == 413
    assert "too large" in reply.text


def test_an_oversized_form_is_a_413(session, unchanged):
    reply = session.post(f"/members/{NAME}/edit", data={"description": "x" * 70_000, "groups": "default"})
    assert reply.status_code == 413


@pytest.mark.parametrize("original", ["not json", "[1, 2]", "5", '{"roles": 3}', '"text"'])
def test_a_malformed_form_field_is_refused_not_a_500(session, unchanged, original):
    reply = session.post(
        f"/members/{NAME}/edit",
        data={"section": "roles", "etag": "x", "original": original, "roles": ["event-hub"]},
    )
    assert reply.status_code == 400, reply.text
    assert "The form is malformed" in reply.text


def test_an_unknown_evacuate_mode_is_refused(session, unchanged):
    reply = session.api("POST", f"/cluster/members/{NAME}/state", json={"action": "evacuate", "mode": "teleport"})
    assert 400 <= reply.status_code < 500, reply.text
    assert "teleport" in reply.json()["error"]
