"""The database: the engine, migrations (Alembic, `migrations/`) and the check that they ran.
The tables are in webui/models.py."""

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text

if TYPE_CHECKING:
    from alembic.config import Config

_HERE = Path(__file__).resolve().parent
# migrations/ sits beside webui/ in a checkout; the wheel ships it inside, as webui/migrations
# (pyproject's package-dir), so an installed dashboard migrates without the repository.
MIGRATIONS = next(path for path in (_HERE / "migrations", _HERE.parent / "migrations") if path.is_dir())
# The newest revision in migrations/ (a test holds them equal). The server compares the
# database with it instead of asking Alembic, which it would then keep in memory for good
# (10 MiB of a ~100 MiB process); Alembic is loaded only to migrate.
HEAD = "0013"


# engine.execution_options(**IMMEDIATE): a transaction that reads, then writes what it read
# (the audit chain's head, a login counter), and must not interleave with another process's.
IMMEDIATE = {"sqlite_begin": "BEGIN IMMEDIATE"}
BUSY_TIMEOUT_MS = 30_000


class DriverMissing(ValueError):
    """The database's driver is not installed (PostgreSQL's comes with an extra only)."""


def make_engine(url: str) -> Engine:
    private_sqlite_file(url)
    try:
        engine = create_engine(url)
    except ModuleNotFoundError as exc:  # SQLAlchemy imports the driver here, not before
        if not (exc.name or "").startswith("psycopg"):
            raise
        raise DriverMissing(
            f"database_url is PostgreSQL, whose driver {exc.name} is not installed:"
            " install the postgres extra (pip install 'incus-webui[postgres]')"
        ) from exc
    if engine.dialect.name == "sqlite":
        _immediate_sqlite_transactions(engine)
    return engine


def _immediate_sqlite_transactions(engine: Engine) -> None:
    """Python's sqlite3 begins a transaction only at the first write, so two processes sharing
    one file can both read the audit chain's head before either writes, and fork it. A
    transaction with IMMEDIATE begins with `BEGIN IMMEDIATE` instead: it takes the file's
    write lock before it reads, so the others wait (up to the busy timeout) and then read
    what it wrote. Other transactions keep sqlite3's own behaviour."""

    @event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")

    @event.listens_for(engine, "begin")
    def begin(connection: Connection) -> None:
        if statement := connection.get_execution_options().get("sqlite_begin"):
            connection.exec_driver_sql(statement)


def private_folder(folder: Path) -> None:
    """Create `folder` (and its missing parents) readable by its owner only; an existing one
    is left as it is (an admin chose it)."""
    missing = [folder, *folder.parents]
    missing = [path for path in missing if not path.exists()]
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def private_sqlite_file(url: str) -> None:
    """An SQLite database file that does not exist yet is created here, mode 0600 (its folder
    0700 when created too), before SQLite would create it with the umask's mode (0644: anyone
    on the host reads the sessions, tokens' hashes and the audit log). SQLite gives its
    journal and WAL files the mode of the database file."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") or parsed.query.get("uri"):
        return
    path = Path(parsed.database or "")
    if path.exists():
        return
    private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another process made it first, as this one would have


def default_key_path(database_url: str) -> Path:
    """Where the audit key goes unless told: beside an SQLite file (not inside it), else in
    the working folder."""
    url = urlparse(database_url)
    if url.scheme.startswith("sqlite") and url.path not in ("", "/", "/:memory:"):
        return Path(url.path[1:] + ".audit-key")
    return Path("incus-webui-audit.key")


def create_key(path: Path) -> bool:
    """A new random audit key (webui/audit/keys.py), readable by its owner only; False when one is there already (never
    replaced: records signed with it would no longer verify)."""
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return True


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(
    url: str,
    revision: str = "head",
    key_file: Path | None = None,
    checkpoint_file: Path | None = None,
    secret_keys: tuple[str, ...] = (),
) -> Path:
    """Create the audit key if there is none yet (its path is returned), then migrate. The
    migrations that rewrite audit records (0007) re-sign the chain with the key and its
    checkpoints, and judge secrecy with the site's own `secret_keys` too."""
    from alembic import command

    private_sqlite_file(url)  # Alembic's own engine would create it with the umask's mode
    key = key_file or default_key_path(url)
    create_key(key)
    config = alembic_config(url)
    config.attributes.update(
        audit_key_file=key, audit_checkpoint_file=checkpoint_file, secret_keys=secret_keys
    )
    command.upgrade(config, revision)
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


# Tables whose rows name their cluster (migration 0010); rows from before it have "".
CLUSTER_TABLES = ("cluster_history", "maintenance_runs", "healing_events", "rebalance_moves", "rolling_upgrades")
UNNAMED_PIN = "cluster"  # the pinned certificate's name before clusters had names


def adopt_unnamed_rows(engine: Engine, cluster: str) -> None:
    """Rows kept before clusters were named belong to the dashboard's first cluster: they take
    its name (every process may do this at once; it changes nothing the second time)."""
    with engine.begin() as connection:
        for table in CLUSTER_TABLES:
            connection.execute(text(f"UPDATE {table} SET cluster = :cluster WHERE cluster = ''"), {"cluster": cluster})
        connection.execute(
            text(
                "UPDATE pinned_certificates SET name = :cluster WHERE name = :unnamed "
                "AND NOT EXISTS (SELECT 1 FROM pinned_certificates WHERE name = :cluster)"
            ),
            {"cluster": cluster, "unnamed": UNNAMED_PIN},
        )
