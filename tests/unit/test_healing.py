"""Healing on record and its fencing: one row and one firing per event, however many
dashboard processes share the database; the hook and the webhook as an admin configures them."""

import asyncio
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from webui import db
from webui.audit.log import AuditLog
from webui.live.hub import Hub
from webui.live.snapshot import FencingState
from webui.models import AuditRecord, HealingEvent
from webui.services.maintenance import healing

AT = datetime(2026, 12, 1, 17, 0, 0, 123456, tzinfo=UTC)
EVENT = {"type": "lifecycle", "metadata": {"action": "cluster-member-healed", "source": "/1.0/cluster/members/m2"}}


def engine_at(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    db.upgrade(url)
    return db.make_engine(url)


def test_the_first_process_claims_the_event_and_the_others_do_not(tmp_path):
    engine = engine_at(tmp_path)
    claims = [healing.record_and_claim(engine, "c1", "m2", AT, EVENT, f"process-{n}") for n in range(3)]
    assert claims == [True, False, False]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(HealingEvent)) == 1
        assert session.scalars(select(HealingEvent.claimed_by)).one() == "process-0"
    assert healing.healed_members(engine, "c1") == {"m2"}
    assert healing.healed_members(engine, "c2") == frozenset()  # another cluster's member2 was not healed
    healing.mark_restored(engine, "c1", "m2")
    assert healing.healed_members(engine, "c1") == frozenset()
    engine.dispose()


def test_the_hook_gets_the_member_as_argument_and_the_event_on_stdin(tmp_path):
    out = tmp_path / "hook.out"
    hook = f"sh -c 'echo \"$0\" > {out}; cat >> {out}'"
    assert asyncio.run(healing.run_hook(hook, "m2", json.dumps(EVENT).encode(), 10)) == ""
    member, event = out.read_text().split("\n", 1)
    assert member == "m2" and json.loads(event) == EVENT


def test_a_hook_that_fails_or_hangs_says_so():
    assert asyncio.run(healing.run_hook("sh -c 'echo no BMC >&2; exit 3'", "m2", b"{}", 10)) == "exit status 3: no BMC"
    assert asyncio.run(healing.run_hook("sh -c 'sleep 5'", "m2", b"{}", 0.3)) == "timed out after 0.3 s"
    assert asyncio.run(healing.run_hook("/nonexistent/fence", "m2", b"{}", 1)).startswith("could not run it")


class Receiver(BaseHTTPRequestHandler):
    """Answers 503 to the first `failures` POSTs, then 200; keeps what it received."""

    failures = 2
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(body)
        self.send_response(503 if len(type(self).received) <= type(self).failures else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_webhook_is_retried_with_backoff_until_it_is_taken():
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/fence"
        error, attempts = asyncio.run(healing.post_webhook(url, json.dumps(EVENT).encode(), backoff=0.01))
    finally:
        server.shutdown()
        server.server_close()
    assert (error, attempts) == ("", 3)
    assert [json.loads(body) for body in Receiver.received] == [EVENT] * 3


def test_a_webhook_nobody_answers_fails_after_every_attempt():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    port = server.server_port
    server.server_close()  # nothing listens there any more
    error, attempts = asyncio.run(healing.post_webhook(f"http://127.0.0.1:{port}/", b"{}", backoff=0.01))
    assert attempts == healing.WEBHOOK_ATTEMPTS and error


def test_a_webhook_is_shown_by_its_scheme_and_host_only():
    """A webhook URL may carry a password (user:password@) or a token (in its path or query)."""
    assert healing.webhook_site("https://fence:s3cret@bmc.example:8443/hooks/T0K3N?key=abc") == (
        "https://bmc.example:8443"
    )
    assert healing.webhook_site("http://[fd00::1]/fence") == "http://[fd00::1]"
    assert healing.webhook_site("not a url") == "an address that is not a URL"
    assert healing.hook_program("/usr/local/bin/fence-bmc --password s3cret") == "fence-bmc"
    assert healing.configured(healing.Fencing()) == FencingState()


def test_the_healing_section_learns_when_fencing_last_fired_from_the_database(tmp_path):
    """The process that fired it and another one, sharing the database, both say when."""
    engine = engine_at(tmp_path)
    class Taker(Receiver):
        failures = 0
        received: list[bytes] = []

    server = HTTPServer(("127.0.0.1", 0), Taker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://fence:s3cret@127.0.0.1:{server.server_port}/hooks/T0K3N?key=abc"
    fencing = healing.Fencing(hook="sh -c 'exit 3' --password s3cret", webhook=url)
    audit = AuditLog(engine, b"k" * 32)
    firing, other = (healing.Healing(Hub(lambda template, context: ""), engine, audit, fencing, "c1") for _ in range(2))
    assert firing.hub.snapshot.fencing == FencingState(hook="sh", webhook=f"http://127.0.0.1:{server.server_port}")
    try:
        asyncio.run(firing.fire("m2", b"{}"))
    finally:
        server.shutdown()
        server.server_close()
    fired = firing.hub.snapshot.fencing
    hook, webhook = fired.last("healed-hook"), fired.last("healed-webhook")
    assert hook is not None and (hook.member, hook.error) == ("m2", "exit status 3: ")
    assert webhook is not None and (webhook.member, webhook.error) == ("m2", "")
    asyncio.run(other.on_sync(None))
    assert other.hub.snapshot.fencing == fired
    with Session(engine) as session:
        records = session.scalars(select(AuditRecord).where(AuditRecord.action == "healed-webhook")).all()
    assert [r.parameters["url"] for r in records] == [f"http://127.0.0.1:{server.server_port}"]
    engine.dispose()
