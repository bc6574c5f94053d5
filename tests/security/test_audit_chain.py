"""Attacks on the audit log itself: cutting records off its end, rewriting it with a
recomputed chain, changes made behind the dashboard's back with its CLI, operations that
ended while it was down, and a log that cannot be written."""

import re

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.conftest import PERSONAS, wait_until
from tests.security.conftest import audit_rows
from webui import db
from webui.audit.records import GENESIS, LEGACY_HASHED, record_hash
from webui.models import AuditRecord

pytestmark = pytest.mark.cluster


def verify(server) -> tuple[int, str]:
    result = server.cli("audit", "verify")
    return result.returncode, result.stdout + result.stderr


def sql(server, statement: str) -> None:
    engine = db.make_engine(server.database_url)
    with engine.begin() as connection:
        connection.execute(text(statement))
    engine.dispose()


@pytest.fixture
def logged(own_dashboard):
    """A dashboard with a few records: three logins."""
    server = own_dashboard()
    for role in ("operator", "auditor"):
        server.login(role).close()
    assert verify(server)[0] == 0
    return server


def test_cutting_off_the_newest_records_is_detected(logged):
    newest = audit_rows(logged)[-1].id
    sql(logged, f"DELETE FROM audit_log WHERE id >= {newest - 1}")
    code, said = verify(logged)
    assert code != 0 and f"record {newest - 1}," in said and "cut off" in said


def test_emptying_the_log_is_detected(logged):
    sql(logged, "DELETE FROM audit_log")
    code, said = verify(logged)
    assert code != 0 and "cut off" in said


def test_emptying_the_log_and_removing_its_checkpoints_is_detected(logged):
    """Nothing left in the database and no checkpoint file: the key file itself says the key
    has signed records (it keeps the first checkpoint it wrote)."""
    sql(logged, "DELETE FROM audit_log")
    logged.settings().audit_checkpoint_path().unlink()
    code, said = verify(logged)
    assert code != 0 and "the audit key has signed some" in said and "cut off" in said


def test_the_key_file_keeps_the_first_checkpoint_and_still_verifies(logged):
    key, *anchors = logged.settings().audit_key_path().read_text().splitlines()
    assert len(key) == 64 and len(anchors) == 1 and '"id": 1,' in anchors[0]
    assert verify(logged)[0] == 0


def test_a_rewritten_chain_with_recomputed_hashes_is_detected(logged):
    """The attacker can write the database but has not the key: the best they can do is a
    plain SHA-256 chain, as the log was before it was keyed."""
    engine = db.make_engine(logged.database_url)
    with Session(engine) as session, session.begin():
        prev = GENESIS
        for record in session.scalars(select(AuditRecord).order_by(AuditRecord.id)):
            if record.outcome == "succeeded" and record.actor == PERSONAS["operator"]:
                record.source_address = "10.0.0.66"  # "it was not me"
            fields = {k: getattr(record, k) for k in LEGACY_HASHED}
            record.prev_hash, record.key_id = prev, ""
            record.hash = record_hash(prev, fields, None)
            session.flush()
            prev = record.hash
    engine.dispose()
    code, said = verify(logged)
    assert code != 0 and "is not the one checkpointed" in said


def test_a_record_altered_in_place_is_detected_and_named(logged):
    first = audit_rows(logged)[0].id
    sql(logged, f"UPDATE audit_log SET actor = 'nobody' WHERE id = {first}")
    code, said = verify(logged)
    assert code != 0 and f"record {first} was altered" in said


def test_the_auditor_page_shows_how_far_the_chain_verifies(logged):
    auditor = logged.login("auditor")
    try:
        page = auditor.get("/audit").text
    finally:
        auditor.close()
    match = re.search(r"Chain verified through record (\d+)", page)
    assert match and int(match.group(1)) >= len(audit_rows(logged)) - 1


def test_account_token_and_display_changes_made_with_the_cli_are_recorded(logged):
    steps = [
        ("user", "add", "cli-made", "--role", "auditor"),
        ("user", "passwd", "cli-made"),
        ("token", "create", "cli-made"),
        ("display", "create", "cli-wall"),
        ("token", "revoke", "1", "--yes"),
        ("display", "revoke", "1", "--yes"),
        ("user", "disable", "cli-made", "--yes"),
    ]
    for step in steps:
        result = logged.cli(*step)
        assert result.returncode == 0, (step, result.stderr)
    recorded = [(r.action, r.target, r.outcome) for r in audit_rows(logged, via="cli")]
    expected = ["add-user", "set-password", "create-token", "create-display", "revoke-token", "revoke-display",
                "disable-user"]
    assert [a for a, _, outcome in recorded if outcome == "succeeded"] == expected
    assert [a for a, _, outcome in recorded if outcome == "requested"] == expected
    assert verify(logged)[0] == 0


def test_an_operation_that_ended_while_no_dashboard_ran_is_settled_at_startup(own_dashboard, tmp_path):
    server = own_dashboard("restarted")
    gone = "11111111-2222-3333-4444-555555555555"  # an operation Incus no longer knows
    engine = db.make_engine(server.database_url)
    audit = server.settings().audit_log(engine)
    requested = audit.append(actor="alice", role="admin", via="session", action="evacuate", target="member2",
                             outcome="requested")
    audit.append(actor="alice", role="admin", via="session", action="evacuate", target="member2",
                 outcome="accepted", operation_id=gone, request_id=requested.id)
    engine.dispose()
    server.stop()
    again = own_dashboard("restarted")  # same database and key, as after a restart
    settled = wait_until(lambda: audit_rows(again, operation_id=gone, outcome="unknown"), timeout=30)
    assert len(settled) == 1 and settled[0].error == "outcome unknown: dashboard was down"
    assert settled[0].request_id == requested.id
    assert verify(again)[0] == 0


def test_when_the_log_cannot_be_written_changes_are_refused_and_reads_go_on(own_dashboard):
    server = own_dashboard("failing")
    operator = server.login("operator")
    try:
        sql(server, "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        refused = operator.patch("/api/v1/cluster/members/member2", json={"description": "unrecorded"})
        assert refused.status_code == 503 and "audit log cannot be written" in refused.json()["error"]
        page = operator.get("/")
        assert page.status_code == 200 and "Changes are refused" in page.text and "disk full" in page.text
        assert operator.get("/api/v1/cluster/members").status_code == 200
        # Nobody new gets in either: a login that cannot be recorded is refused.
        with httpx.Client(base_url=server.url) as browser:
            browser.get("/login")
            login = browser.post("/login", data={"name": PERSONAS["auditor"], "password": "x",
                                                 "csrf_token": browser.cookies["incus_webui_csrf"]})
            assert login.status_code == 503
        sql(server, "DROP TRIGGER no_audit")
        server.login("auditor").close()  # recorded again
        assert "Changes are refused" not in operator.get("/").text
    finally:
        operator.close()
    assert not [r for r in audit_rows(server) if r.parameters.get("description") == "unrecorded"]
    assert verify(server)[0] == 0
