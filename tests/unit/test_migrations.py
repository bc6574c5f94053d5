from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from webui import db


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
