"""The database: the engine, migrations (Alembic, `migrations/`) and the check that they ran.
The tables are in webui/models.py."""

from pathlib import Path
from urllib.parse import urlparse
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The newest revision in migrations/ (a test holds them equal). The server compares the
# database with it instead of asking Alembic, which it would then keep in memory for good
# (10 MiB of a ~100 MiB process); Alembic is loaded only to migrate.
HEAD = "0004"


def make_engine(url: str) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _explicit_sqlite_transactions(engine)
    return engine


def _explicit_sqlite_transactions(engine: Engine) -> None:
    """Python's sqlite3 starts transactions late and by itself, so two processes sharing one
    file can both read the audit chain's head before either writes. SQLAlchemy's documented
    recipe hands BEGIN to us; a connection whose `sqlite_begin` execution option says
"BEGIN IMMEDIATE" (the audit log's) takes the file's write lock at
    BEGIN, which serializes the audit log's appends across processes (others wait, up to
    `timeout`)."""

    @event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA busy_timeout = 30000")

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        connection.exec_driver_sql(connection.get_execution_options().get("sqlite_begin", "BEGIN"))


def default_key_path(database_url: str) -> Path:
    """Where the audit key goes unless told: beside an SQLite file (not inside it), else in
    the working folder."""
    url = urlparse(database_url)
    if url.scheme.startswith("sqlite") and url.path not in ("", "/", "/:memory:"):
        return Path(url.path[1:] + ".audit-key")
    return Path("incus-webui-audit.key")


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", key_file: Path | None = None) -> Path:
    """Migrate, and create the audit key if there is none yet (its path is returned)."""
    from alembic import command

    from webui.audit.keys import create_key

    command.upgrade(alembic_config(url), revision)
    key = key_file or default_key_path(url)
    create_key(key)
    return key


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def pending_migrations(engine: Engine) -> bool:
    """True when the database is behind the code's migrations (the server won't start)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return True
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() != HEAD
