import json
from datetime import datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from webui import db
from webui.audit.log import AuditLog, AuditQuery, as_dict, search
from webui.audit.records import GENESIS, record_hash
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


SECRET_VALUES = ("CLOUDFLARE_DNS_API_TOKEN=tok-51e2", "key-7c0d", "pw-99a1")


def _log_from_before_0007(tmp_path: Path) -> tuple[str, Path, AuditLog]:
    """A keyed, checkpointed log at 0006 holding secrets as the dashboard recorded them then."""
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    key = db.upgrade(url, "0006", key_file=tmp_path / "audit.key")
    log = Settings(database_url=url, audit_key_file=key).audit_log(db.make_engine(url))
    log.append(actor="alice", action="login", target="alice", outcome="succeeded")
    config = {"acme.provider.environment": SECRET_VALUES[0], "cluster.max_voters": "5"}
    log.append(actor="alice", action="configure", target="cluster", parameters=config, outcome="requested")
    member = {"description": "db", "config": {"user.apikey": SECRET_VALUES[1], "user.passwd": SECRET_VALUES[2],
                                              "user.api_token": "(hidden)", "user.note": "kept"}}
    log.append(actor="bob", action="edit", target="member2", parameters=member, outcome="requested")
    log.append(actor="bob", action="logout", target="bob", outcome="succeeded")
    assert verify(log.engine, log.key, log.checkpoints).problem == ""
    return url, key, log


def test_the_upgrade_replaces_secret_values_in_old_records_and_reanchors_the_chain(tmp_path: Path):
    url, key, log = _log_from_before_0007(tmp_path)
    db.upgrade(url, key_file=key)
    records = search(log.engine, AuditQuery(), limit=None)[0][::-1]
    assert not [v for v in SECRET_VALUES if v in json.dumps([as_dict(r) for r in records], default=str)]
    assert records[1].parameters == {"acme.provider.environment": "(changed)", "cluster.max_voters": "5"}
    assert records[2].parameters["config"] == {
        "user.apikey": "(changed)", "user.passwd": "(changed)", "user.api_token": "(hidden)", "user.note": "kept"
    }
    anchor = records[-1]
    assert (anchor.action, anchor.actor) == ("re-anchor-audit-log", "incus-webui db upgrade")
    assert "migration 0007" in anchor.parameters["reason"]
    assert anchor.parameters["rewritten"] == [records[1].id, records[2].id]
    assert anchor.parameters["old_head"]["id"] == records[3].id
    # The chain, its checkpoints (the re-signed ones too) and the key all agree...
    assert verify(log.engine, log.key, log.checkpoints).problem == ""
    log.append(actor="alice", action="login", target="alice", outcome="succeeded")
    assert verify(log.engine, log.key, log.checkpoints).problem == ""
    # ... and whoever lacks the key still cannot change a record unseen.
    with log.engine.begin() as connection:
        connection.execute(text(f"UPDATE audit_log SET target = 'member3' WHERE id = {records[2].id}"))
    assert verify(log.engine, log.key, log.checkpoints).problem == f"record {records[2].id} was altered"
    log.engine.dispose()


def test_the_key_files_anchor_is_re_signed_when_its_record_is(tmp_path: Path):
    """The first checkpoint a key writes is kept in the key file too (`audit verify` knows from it
    that records existed): when that very record held a secret, its anchor is re-signed with it."""
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    key = db.upgrade(url, "0006", key_file=tmp_path / "audit.key")
    log = Settings(database_url=url, audit_key_file=key).audit_log(db.make_engine(url))
    config = {"loki.auth.password": SECRET_VALUES[2]}
    log.append(actor="alice", action="configure", target="cluster", parameters=config, outcome="requested")
    first = log.checkpoints.anchor()
    assert first is not None
    db.upgrade(url, key_file=key)
    anchor = log.checkpoints.anchor()
    assert anchor is not None and anchor.id == first.id and anchor.hash != first.hash
    assert verify(log.engine, log.key, log.checkpoints).problem == ""
    assert SECRET_VALUES[2] not in key.read_text()
    log.engine.dispose()


def test_a_log_with_no_secret_value_is_left_as_it_was(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'webui.db'}"
    key = db.upgrade(url, "0006", key_file=tmp_path / "audit.key")
    log = Settings(database_url=url, audit_key_file=key).audit_log(db.make_engine(url))
    log.append(actor="alice", action="configure", target="cluster", parameters={"loki.auth.password": "(changed)"},
               outcome="requested")
    before = [as_dict(r) for r in search(log.engine, AuditQuery())[0]]
    db.upgrade(url, key_file=key)
    assert [as_dict(r) for r in search(log.engine, AuditQuery())[0]] == before
    log.engine.dispose()


def test_a_chain_that_does_not_verify_is_not_reanchored(tmp_path: Path):
    """Re-signing a broken chain would launder whatever broke it: refused, values left."""
    url, key, log = _log_from_before_0007(tmp_path)
    with log.engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE id = 1"))
    with pytest.raises(RuntimeError, match="does not verify"):
        db.upgrade(url, key_file=key)
    assert db.pending_migrations(log.engine)
    assert verify(log.engine, log.key, log.checkpoints).problem == "record 1 was altered"
    log.engine.dispose()
