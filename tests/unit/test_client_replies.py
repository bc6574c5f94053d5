"""IncusClient against replies recorded from a real Incus 6.0.4: one odd item must not cost
the whole list (the watcher's loop restarted for 5 s on it, losing live updates)."""

import asyncio
import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from webui.incus.client import IncusClient
from webui.incus.transport import Connection

RECORDED = Path(__file__).parent / "recorded"
TOKEN = "0be35137-f483-43f1-b68b-70b7ab56ccf7"  # the join token's operation


def client_answering(*replies: Any) -> IncusClient:
    """A client whose requests get these metadata in turn, the last one from then on, each
    decoded afresh (as from the wire, not the object handed out before)."""
    client = IncusClient(Connection(addresses=["https://127.0.0.1:1"]))
    queue = list(replies)

    async def request(method: str, path: str, **kwargs: Any) -> Any:
        return copy.deepcopy(queue.pop(0) if len(queue) > 1 else queue[0])

    client.request = request  # type: ignore[method-assign]
    return client


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())["metadata"]


def every(reply: dict[str, list[Any]]) -> int:
    return sum(len(ops) for ops in reply.values())


def operations_of(metadata: Any) -> list[Any]:
    client = client_answering(metadata)
    try:
        return asyncio.run(client.operations())
    finally:
        asyncio.run(client.aclose())


def test_a_join_token_with_null_cluster_resources_is_read_as_no_resources():
    """`incus cluster add` leaves an operation with `"resources": {"cluster": null}`."""
    reply = recorded("operations_join_token.json")
    assert reply["running"][1]["resources"] == {"cluster": None}
    operations = {op.id: op for op in operations_of(reply)}
    assert len(operations) == every(reply)
    assert operations[TOKEN].description == "Executing operation"
    assert operations[TOKEN].resources == {}


def test_an_item_that_does_not_parse_is_logged_and_skipped_the_others_kept(caplog: pytest.LogCaptureFixture):
    reply = copy.deepcopy(recorded("operations_join_token.json"))
    reply["running"][1]["resources"] = {"cluster": "not a list"}
    with caplog.at_level(logging.WARNING, logger="webui.incus.client"):
        operations = operations_of(reply)
    assert len(operations) == every(reply) - 1
    assert TOKEN not in {op.id for op in operations}
    assert f"skipping a Operation Incus sent that does not parse ({TOKEN})" in caplog.text
    assert "0" * 64 not in caplog.text  # the token's secret stays out of the log


def test_a_list_asked_again_keeps_what_did_not_change_and_parses_what_did(caplog: pytest.LogCaptureFixture):
    """The watcher asks for every member each resync: one unchanged is not validated again (at
    1,000 members that was most of the parsing), and the snapshot's diff finds the same object."""
    reply = [{"server_name": f"member{i}", "status": "Online", "config": None} for i in (1, 2, 3, 4)]
    later = copy.deepcopy(reply)
    later[1]["description"] = "changed"
    later[2]["roles"] = "not a list"
    client = client_answering(reply, later)

    async def asked_three_times() -> list[list[Any]]:
        try:
            return [await client.members() for _ in range(3)]
        finally:
            await client.aclose()

    with caplog.at_level(logging.WARNING, logger="webui.incus.client"):
        first, second, third = asyncio.run(asked_three_times())
    assert [m.server_name for m in second] == ["member1", "member2", "member4"]
    assert second[0] is first[0] and second[2] is first[3]
    assert second[1] is not first[1] and second[1].description == "changed"
    assert all(a is b for a, b in zip(second, third, strict=True))
    assert caplog.text.count("skipping a Member Incus sent that does not parse (member3)") == 1
