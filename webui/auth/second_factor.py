"""Second factors of local accounts in the database, and the logins waiting for one.
Synchronous: services call them in a thread."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, update
from sqlalchemy.orm import Session as DbSession

from webui.auth import totp
from webui.auth.store import AccountError, token_hash
from webui.clock import now
from webui.models import LoginStep, User

STEP_LIFETIME = timedelta(minutes=5)
STEP_TRIES = 5  # wrong codes before the login must start again with the password


def start_step(engine: Engine, user: User, purpose: str, next_path: str) -> str:
    """A login waiting for its second factor ("code") or its enrolment ("enrol"): the token."""
    token = secrets.token_urlsafe(32)
    at = now()
    with DbSession(engine) as db, db.begin():
        db.execute(delete(LoginStep).where(LoginStep.created_at < at - STEP_LIFETIME))
        db.add(LoginStep(token_hash=token_hash(token), user_id=user.id, purpose=purpose, next_path=next_path,
                         created_at=at, failures=0))
    return token


@dataclass(frozen=True)
class Waiting:
    user: User
    purpose: str
    next_path: str


def waiting(engine: Engine, token: str) -> Waiting | None:
    """The login `token` stands for, while it is young and has tries left."""
    with DbSession(engine, expire_on_commit=False) as db:
        step = db.get(LoginStep, token_hash(token)) if token else None
        if step is None or step.failures >= STEP_TRIES:
            return None
        created = step.created_at if step.created_at.tzinfo else step.created_at.replace(tzinfo=now().tzinfo)
        user = db.get(User, step.user_id)
        if created < now() - STEP_LIFETIME or user is None or user.disabled:
            return None
        return Waiting(user, step.purpose, step.next_path)


def failed(engine: Engine, token: str) -> None:
    with DbSession(engine) as db, db.begin():
        db.execute(
            update(LoginStep).where(LoginStep.token_hash == token_hash(token)).values(failures=LoginStep.failures + 1)
        )


def end_step(engine: Engine, token: str) -> None:
    with DbSession(engine) as db, db.begin():
        db.execute(delete(LoginStep).where(LoginStep.token_hash == token_hash(token)))


def check(engine: Engine, user_id: int, code: str) -> str:
    """How `code` proves the account's second factor: "code" (its authenticator), "recovery
    code" (used up now), or "" (it does not)."""
    with DbSession(engine) as db, db.begin():
        user = db.get_one(User, user_id)
        if not user.totp_secret:
            return ""
        step = totp.accepted_step(user.totp_secret, code, user.totp_last_step, now())
        if step is not None:
            # Only if no other request took this step first: a code is good once.
            moved = db.execute(
                update(User).where(User.id == user_id, User.totp_last_step < step).values(totp_last_step=step)
            )
            return "code" if moved.rowcount else ""  # type: ignore[attr-defined]
        hashed = totp.code_hash(code)
        if hashed in user.recovery_codes:
            user.recovery_codes = [h for h in user.recovery_codes if h != hashed]
            return "recovery code"
        return ""


def enrol(engine: Engine, user_id: int, secret: str, code: str) -> list[str] | None:
    """The secret made the account's second factor, if `code` shows the authenticator has it:
    the recovery codes (to show once); None when the code is wrong."""
    step = totp.accepted_step(secret, code, 0, now())
    if step is None:
        return None
    codes = totp.new_recovery_codes()
    with DbSession(engine) as db, db.begin():
        user = db.get_one(User, user_id)
        user.totp_secret, user.totp_last_step = secret, step
        user.recovery_codes = [totp.code_hash(c) for c in codes]
    return codes


def reset(engine: Engine, name: str) -> None:
    """No second factor any more (`incus-webui user totp-reset`): the next login enrols again
    where one is required."""
    with DbSession(engine) as db, db.begin():
        done = db.execute(
            update(User).where(User.name == name).values(totp_secret="", totp_last_step=0, recovery_codes=[])
        )
        if not done.rowcount:  # type: ignore[attr-defined]
            raise AccountError(f'no user "{name}"')
