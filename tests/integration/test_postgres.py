"""PostgreSQL: migrations, sessions across dashboard processes, one audit chain from two writers."""

import subprocess
import sys

import httpx
import pytest

from tests.conftest import PERSONAS, Dashboard
from webui import db
from webui.audit.verify import Verdict, verify
from webui.settings import Settings

pytestmark = pytest.mark.cluster

WRITER = """
import sys
from webui import db
from webui.settings import Settings
log = Settings(database_url=sys.argv[1], audit_key_file=sys.argv[4]).audit_log(db.make_engine(sys.argv[1]))
for n in range(int(sys.argv[3])):
    log.append(action="concurrency", target=sys.argv[2], outcome="succeeded", parameters={"n": n})
"""


def test_migrations_go_up_and_down_on_postgresql(postgres, tmp_path):
    url = postgres.create_database("migrations")
    engine = db.make_engine(url)
    db.upgrade(url, key_file=tmp_path / "audit.key")
    assert not db.pending_migrations(engine)
    db.downgrade(url)
    assert db.pending_migrations(engine)
    engine.dispose()


def verdict(settings: Settings) -> Verdict:
    engine = db.make_engine(settings.database_url)
    try:
        log = settings.audit_log(engine)
        return verify(engine, log.key, log.checkpoints)
    finally:
        engine.dispose()


def test_two_processes_write_one_unbroken_audit_chain(postgres, tmp_path):
    settings = Settings(database_url=postgres.create_database("chain"), audit_key_file=tmp_path / "key")
    db.upgrade(settings.database_url, key_file=settings.audit_key_path())
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, settings.database_url, name, "150", str(tmp_path / "key")])
        for name in ("a", "b")
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    result = verdict(settings)
    assert (result.records, result.problem) == (300, "")


def test_values_longer_than_their_column_are_cut_not_refused(postgres, tmp_path):
    """A long user agent or path must not turn a login or a refusal into a 500: PostgreSQL,
    unlike SQLite, enforces column lengths."""
    settings = Settings(database_url=postgres.create_database("lengths"), audit_key_file=tmp_path / "key")
    db.upgrade(settings.database_url, key_file=settings.audit_key_path())
    engine = db.make_engine(settings.database_url)
    record = settings.audit_log(engine).append(
        action="denied", target="/api/" + "x" * 400, outcome="denied", user_agent="agent " * 200
    )
    engine.dispose()
    assert len(record.target) == 255 and len(record.user_agent) == 500
    result = verdict(settings)
    assert (result.records, result.problem) == (1, "")


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
        assert verdict(first.settings()).problem == ""
    finally:
        first.stop()
        second.stop()
