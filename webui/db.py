"""The database: engine, tables, and the check that it is migrated (Alembic, `migrations/`)."""

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, Engine, Integer, String, create_engine, inspect, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The newest revision in migrations/ (a test holds them equal). The server compares the
# database with it instead of asking Alembic, which it would then keep in memory for good
# (10 MiB of a ~100 MiB process); Alembic is loaded only to migrate.
HEAD = "0002"


class Base(DeclarativeBase):
    pass


class ClusterEvent(Base):
    """A cluster lifecycle event from Incus, whoever caused it (dashboard or `incus` CLI)."""

    __tablename__ = "cluster_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    source: Mapped[str] = mapped_column(String(500))
    location: Mapped[str] = mapped_column(String(255), default="")
    project: Mapped[str] = mapped_column(String(255), default="")
    requestor_username: Mapped[str] = mapped_column(String(255), default="")
    requestor_protocol: Mapped[str] = mapped_column(String(50), default="")
    requestor_address: Mapped[str] = mapped_column(String(255), default="")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


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
