from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from webui import db
from webui.audit.log import GENESIS, record_hash
from webui.audit.verify import verify
from webui.settings import Settings


def test_an_empty_database_upgrades_to_head_and_back_down(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    engine = db.make_engine(url)
    assert db.pending_migrations(engine)
    db.upgrade(url)
    assert not db.pending_migrations(engine)
    assert "cluster_history" in inspect(engine).get_table_names()
    db.downgrade(url)
    assert "cluster_history" not in inspect(engine).get_table_names()
    assert db.pending_migrations(engine)
    engine.dispose()


def test_the_server_expects_the_newest_migration():
    newest = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
    assert db.HEAD == newest


def test_a_chain_from_before_the_key_is_sealed_by_the_first_keyed_record(tmp_path: Path):
    """An existing unkeyed chain keeps its plain SHA-256 hashes; the first signed record holds
    the last of them, so none can be rewritten afterwards without breaking the signed part."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db.upgrade(url, "0002")
    engine = db.make_engine(url)
    prev = GENESIS
    with engine.begin() as connection:
        for n in range(3):
            fields = {
                "at": datetime(2026, 11, 30, 12, n), "actor": "old", "role": "admin", "via": "session",
                "source_address": "127.0.0.1", "user_agent": "", "action": "login", "target": "old",
                "parameters": {}, "operation_id": "", "outcome": "succeeded", "error": "", "request_id": None,
            }
            digest = record_hash(prev, fields, None)
            connection.execute(
                text(
                    "INSERT INTO audit_log (at, actor, role, via, source_address, user_agent, action, target, "
                    "parameters, operation_id, outcome, error, request_id, prev_hash, hash) VALUES (:at, :actor, "
                    ":role, :via, :source_address, :user_agent, :action, :target, '{}', :operation_id, :outcome, "
                    ":error, :request_id, :prev, :hash)"
                ),
                {**fields, "prev": prev, "hash": digest},
            )
            prev = digest
    db.upgrade(url)
    log = Settings(database_url=url).audit_log(engine)
    log.checkpoint()  # as `incus-webui db upgrade` does
    log.append(action="test", target="new", outcome="succeeded")
    assert verify(engine, log.key, log.checkpoints).problem == ""
    with engine.begin() as connection:  # rewrite an old record and its unkeyed successors
        connection.execute(text("UPDATE audit_log SET actor = 'someone else' WHERE id = 2"))
    assert verify(engine, log.key, log.checkpoints).problem == "record 2 was altered"
    engine.dispose()
