"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as much as a wrong password.
_DUMMY = _hasher.hash("incus-webui")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(15)


# Each hash holds 64 MiB (argon2-cffi's memory_cost) while it runs: 8 anonymous failed logins
# at once took a dashboard from 170 to 526 MiB. A couple at a time keep a login under a second.
HASHES_AT_ONCE = 2
HASH_WAIT = 10.0  # seconds a login waits for its turn before it is told to try again (429)


class HashingBusy(Exception):
    """Every hashing slot stayed taken for HASH_WAIT seconds."""


class HashingGate:
    """At most `slots` password hashes at once in this process; the rest wait their turn, up
    to `wait` seconds. Built in the app's lifespan, one per process."""

    def __init__(self, slots: int = HASHES_AT_ONCE, wait: float = HASH_WAIT) -> None:
        self._slots = asyncio.Semaphore(slots)
        self.wait = wait

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait)
        except TimeoutError:
            raise HashingBusy() from None
        try:
            yield
        finally:
            self._slots.release()
