"""OpenID Connect in the database: sign-ins on their way through the provider, and the accounts
of people seen through it. Synchronous: services call them in a thread.

Pending sign-ins live in the database, not in one process's memory, so the callback may reach
any dashboard process; each is taken once (a replayed callback finds nothing)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session as DbSession

from webui.auth.oidc import Signed
from webui.auth.store import NO_PASSWORD, held_by, hold, token_hash
from webui.clock import now
from webui.identity import Grants
from webui.models import OidcAccount, OidcLogin, Session, User

PENDING = timedelta(minutes=10)  # how long a person may take at the provider's login form


@dataclass(frozen=True)
class Pending:
    nonce: str
    code_verifier: str
    next_path: str


def save_login(engine: Engine, state: str, nonce: str, code_verifier: str, next_path: str) -> None:
    at = now()
    with DbSession(engine) as db, db.begin():
        db.execute(delete(OidcLogin).where(OidcLogin.created_at < at - PENDING))  # abandoned ones
        db.add(
            OidcLogin(
                state_hash=token_hash(state), nonce=nonce, code_verifier=code_verifier,
                next_path=next_path, created_at=at,
            )
        )


def take_login(engine: Engine, state: str) -> Pending | None:
    """The sign-in `state` started, removed so no second callback can use it; None when there
    is none (unknown, used, or older than PENDING)."""
    with DbSession(engine) as db, db.begin():
        login = db.get(OidcLogin, token_hash(state))
        if login is None:
            return None
        pending = Pending(login.nonce, login.code_verifier, login.next_path)
        created = login.created_at if login.created_at.tzinfo else login.created_at.replace(tzinfo=now().tzinfo)
        gone = db.execute(delete(OidcLogin).where(OidcLogin.state_hash == login.state_hash)).rowcount  # type: ignore[attr-defined]
        return pending if gone and created >= now() - PENDING else None


@dataclass(frozen=True)
class SignedIn:
    user: User
    old_role: str  # its roles before ("" for someone new), as Grants show them


class Blocked(Exception):
    """An admin blocked this person: the provider's word no longer lets them in."""


def _free_name(db: DbSession, wanted: str, subject: str) -> str:
    """The account name: the provider's user name, unless a local account (or another subject)
    has it: a provider must never sign in as a local account by naming it."""
    name = wanted or subject
    if db.scalar(select(User.id).where(User.name == name)) is None:
        return name
    return f"{name[:80]} ({subject[:16]})"


def record_sign_in(engine: Engine, signed: Signed, grants: Grants) -> SignedIn:
    """The account of this issuer and subject, created or brought up to date (groups, roles,
    tokens, last login). Blocked when an admin blocked it."""
    at = now()
    with DbSession(engine, expire_on_commit=False) as db, db.begin():
        account = db.scalar(
            select(OidcAccount).where(OidcAccount.issuer == signed.issuer, OidcAccount.subject == signed.subject)
        )
        if account is None:
            user = User(
                name=_free_name(db, signed.name, signed.subject), password_hash=NO_PASSWORD, role=grants.everywhere,
                disabled=False, created_at=at, break_glass=False,
            )
            db.add(user)
            db.flush()
            account = OidcAccount(user_id=user.id, issuer=signed.issuer, subject=signed.subject, last_login_at=at)
            db.add(account)
            old_role = ""
        else:
            user = db.get_one(User, account.user_id)
            if user.disabled:
                raise Blocked()
            old_role = str(held_by(db, user))
        account.groups = signed.groups
        account.last_login_at = account.checked_at = at
        account.refresh_token = signed.refresh_token
        account.id_token = signed.id_token
        hold(db, user, grants)  # last: its queries flush the account, complete by now
        return SignedIn(user, old_role)


@dataclass(frozen=True)
class Due:
    """An account whose groups are to be read again."""

    account_id: int
    user_name: str
    issuer: str
    subject: str
    role: str  # its roles, as Grants show them
    refresh_token: str
    checked_at: datetime


def due(engine: Engine, checked_before: datetime) -> list[Due]:
    """Accounts with an open session whose groups were last read before `checked_before`."""
    with DbSession(engine) as db:
        rows = db.execute(
            select(OidcAccount, User)
            .join(User, User.id == OidcAccount.user_id)
            .where(OidcAccount.checked_at < checked_before, User.disabled.is_(False))
            .where(select(Session.token_hash).where(Session.user_id == User.id).exists())
        )
        return [
            Due(a.id, u.name, a.issuer, a.subject, str(held_by(db, u)), a.refresh_token, a.checked_at) for a, u in rows
        ]


def claim(engine: Engine, item: Due) -> bool:
    """Whether this process reads `item`'s groups now: the first to move checked_at on does
    (several processes, one refresh: providers that rotate refresh tokens honour one use)."""
    with DbSession(engine) as db, db.begin():
        moved = db.execute(
            update(OidcAccount)
            .where(OidcAccount.id == item.account_id, OidcAccount.checked_at == item.checked_at)
            .values(checked_at=now())
        )
        return bool(moved.rowcount)  # type: ignore[attr-defined]


def regroup(engine: Engine, account_id: int, signed: Signed, grants: Grants | None) -> None:
    """The groups and roles a refresh found: None (no role anywhere) ends every session of the account."""
    with DbSession(engine) as db, db.begin():
        account = db.get_one(OidcAccount, account_id)
        account.groups = signed.groups
        account.refresh_token = signed.refresh_token
        account.id_token = signed.id_token
        user = db.get_one(User, account.user_id)
        if grants:
            hold(db, user, grants)
        else:
            db.execute(delete(Session).where(Session.user_id == user.id))


def end_sessions(engine: Engine, account_id: int) -> None:
    """Every session of the account ends (its open streams with them, at the next heartbeat)."""
    with DbSession(engine) as db, db.begin():
        account = db.get_one(OidcAccount, account_id)
        account.refresh_token = ""
        db.execute(delete(Session).where(Session.user_id == account.user_id))


def accounts(engine: Engine) -> list[tuple[OidcAccount, User]]:
    """Everyone seen through OpenID Connect, for the Settings page."""
    with DbSession(engine) as db:
        rows = db.execute(select(OidcAccount, User).join(User, User.id == OidcAccount.user_id).order_by(User.name))
        return [(account, user) for account, user in rows]


def account_user(engine: Engine, account_id: int) -> str:
    """The account name of an OIDC account ("" when there is no such account)."""
    with DbSession(engine) as db:
        query = select(User.name).join(OidcAccount, OidcAccount.user_id == User.id)
        return db.scalar(query.where(OidcAccount.id == account_id)) or ""


def last_id_token(engine: Engine, user_name: str) -> str | None:
    """The last ID token of an OIDC account (the hint of RP-initiated logout); None for a local one."""
    with DbSession(engine) as db:
        query = select(OidcAccount.id_token).join(User, User.id == OidcAccount.user_id)
        return db.scalar(query.where(User.name == user_name))
