"""Login throttling, counted in the database so every dashboard process agrees.

Two counters per attempt: the address (any names) and the name *from that address*. A name
is never locked out as such: failures from one address cannot keep its owner, elsewhere,
out. Each attempt takes its slot before the password is checked, in one atomic statement
(an upsert that returns the new count), so parallel attempts cannot all pass on a count
read before any of them wrote it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from webui.clock import now
from webui.db import IMMEDIATE
from webui.models import LoginThrottle


@dataclass(frozen=True)
class Verdict:
    """Whether this attempt may check its password. The audit log hears of a lockout twice,
    not once per attempt: at its first refusal (`first_refusal`), and when it is over, with
    how many were refused in all (`burst_ended`, by the next attempt or a good password)."""

    allowed: bool
    first_refusal: bool = False
    burst_ended: int = 0


def _keys(name: str, address: str) -> tuple[str, str]:
    return f"address {address}"[:250], f"name {address} {name}"[:250]


def _count(engine: Engine, key: str, at: datetime, window: timedelta) -> tuple[int, int]:
    """This attempt counted for `key` (a new window when the last one is over): the new count,
    and the refusals of the window this one ended (0 if none ended)."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    stale = LoginThrottle.window_start < at - window
    statement = (
        insert(LoginThrottle)
        .values(key=key, failures=1, window_start=at, refused=0)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={
                "failures": case((stale, literal(1)), else_=LoginThrottle.failures + 1),
                "refused": case((stale, literal(0)), else_=LoginThrottle.refused),
                "window_start": case((stale, literal(at)), else_=LoginThrottle.window_start),
            },
        )
        .returning(LoginThrottle.failures)
    )
    with engine.execution_options(**IMMEDIATE).begin() as connection:
        before = connection.execute(
            select(LoginThrottle.refused, LoginThrottle.window_start).where(LoginThrottle.key == key)
        ).first()
        count = int(connection.execute(statement).scalar_one())
    ended = int(before.refused) if before is not None and count == 1 and before.refused else 0
    return count, ended


def attempt(
    engine: Engine, name: str, address: str, max_per_name: int, max_per_address: int, window: timedelta
) -> Verdict:
    """Count an attempt; refused when either counter is past its limit in the window."""
    at = now()
    (by_address, ended_address), (by_name, ended_name) = (
        _count(engine, key, at, window) for key in _keys(name, address)
    )
    if by_address <= max_per_address and by_name <= max_per_name:
        return Verdict(True, burst_ended=ended_address + ended_name)
    key = _keys(name, address)[1] if by_name > max_per_name else _keys(name, address)[0]
    with engine.begin() as connection:
        refused = connection.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(refused=LoginThrottle.refused + 1)
            .returning(LoginThrottle.refused)
        ).scalar_one()
    return Verdict(False, first_refusal=int(refused) == 1)


def succeeded(engine: Engine, name: str, address: str) -> None:
    """A good password: the name's counter from this address starts again, and the address
    gives back the slot this attempt took (many people may log in behind one proxy)."""
    by_address, by_name = _keys(name, address)
    with engine.begin() as connection:
        connection.execute(delete(LoginThrottle).where(LoginThrottle.key == by_name))
        connection.execute(
            update(LoginThrottle).where(LoginThrottle.key == by_address).values(failures=LoginThrottle.failures - 1)
        )
