"""The operations page and cancelling, against the real cluster."""

import json

import pytest

pytestmark = pytest.mark.cluster


def token_operation(cluster, name: str) -> str:
    """A join token is a cancellable operation that lasts (until it expires or is used)."""
    cluster.incus("cluster", "add", name)
    operations = json.loads(cluster.incus("operation", "list", "--format", "json").stdout)
    return next(op["id"] for op in operations if op["class"] == "token" and op["status"] == "Running")


def test_the_page_lists_operations(dashboard):
    page = dashboard.get("/operations")
    assert page.status_code == 200
    assert 'id="operations-table"' in page.text and "OPERATION" in page.text


def test_cancel_through_the_api_cancels_in_incus(cluster, session):
    operation_id = token_operation(cluster, "never-joins")
    try:
        reply = session.api("DELETE", f"/operations/{operation_id}")
        assert reply.status_code == 200, reply.text
        running = json.loads(cluster.incus("operation", "list", "--format", "json").stdout)
        assert operation_id not in [op["id"] for op in running if op["status"] == "Running"]
    finally:
        cluster.incus("cluster", "revoke-token", "never-joins", check=False)


def test_cancelling_an_unknown_operation_says_so(session):
    reply = session.api("DELETE", "/operations/00000000-0000-0000-0000-000000000000")
    assert reply.status_code == 404 and reply.json()["type"] == "error"
    reply = session.post("/operations/00000000-0000-0000-0000-000000000000/cancel")
    assert reply.status_code == 404
