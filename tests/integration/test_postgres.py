"""PostgreSQL: migrations, sessions across dashboard processes, one audit chain from two writers."""

import subprocess
import sys

import httpx
import pytest

from tests.conftest import PERSONAS, Dashboard
from webui import db
from webui.audit.log import AuditLog

pytestmark = pytest.mark.cluster

WRITER = """
import sys
from webui import db
from webui.audit.log import AuditLog
log = AuditLog(db.make_engine(sys.argv[1]))
for n in range(int(sys.argv[3])):
    log.append(action="concurrency", target=sys.argv[2], outcome="succeeded", parameters={"n": n})
"""


def test_migrations_go_up_and_down_on_postgresql(postgres):
    url = postgres.create_database("migrations")
    engine = db.make_engine(url)
    db.upgrade(url)
    assert not db.pending_migrations(engine)
    db.downgrade(url)
    assert db.pending_migrations(engine)
    engine.dispose()


def test_two_processes_write_one_unbroken_audit_chain(postgres):
    url = postgres.create_database("chain")
    db.upgrade(url)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, name, "150"]) for name in ("a", "b")]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    engine = db.make_engine(url)
    assert AuditLog(engine).verify() == (300, "")
    engine.dispose()


def test_values_longer_than_their_column_are_cut_not_refused(postgres):
    """A long user agent or path must not turn a login or a refusal into a 500: PostgreSQL,
    unlike SQLite, enforces column lengths."""
    url = postgres.create_database("lengths")
    db.upgrade(url)
    engine = db.make_engine(url)
    record = AuditLog(engine).append(
        action="denied", target="/api/" + "x" * 400, outcome="denied", user_agent="agent " * 200
    )
    assert len(record.target) == 255 and len(record.user_agent) == 500
    assert AuditLog(engine).verify() == (1, "")
    engine.dispose()


def test_a_session_works_on_every_dashboard_sharing_the_database(cluster, postgres, tmp_path):
    url = postgres.create_database("shared")
    first = Dashboard(cluster.settings_file, tmp_path / "first.db", database_url=url)
    second = Dashboard(cluster.settings_file, tmp_path / "second.db", database_url=url)
    try:
        client = first.login("operator")
        cookies = dict(client.cookies)
        client.close()
        reply = httpx.get(second.url + "/", cookies=cookies)
        assert reply.status_code == 200 and f"{PERSONAS['operator']} (operator)" in reply.text
        for server in (first, second):
            server.login("admin").close()
        engine = db.make_engine(url)
        assert AuditLog(engine).verify()[1] == ""
        engine.dispose()
    finally:
        first.stop()
        second.stop()
