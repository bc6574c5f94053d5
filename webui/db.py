"""The database: the engine, migrations (Alembic, `migrations/`) and the check that they ran.
The tables are in webui/models.py."""

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The newest revision in migrations/ (a test holds them equal). The server compares the
# database with it instead of asking Alembic, which it would then keep in memory for good
# (10 MiB of a ~100 MiB process); Alembic is loaded only to migrate.
HEAD = "0003"


def make_engine(url: str) -> Engine:
    return create_engine(url)


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def pending_migrations(engine: Engine) -> bool:
    """True when the database is behind the code's migrations (the server won't start)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return True
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() != HEAD
