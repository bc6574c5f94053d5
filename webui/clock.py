"""The one clock: every stored and compared time is UTC, from here (tests can move it)."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
