"""Accounts, sessions and tokens in the database. Synchronous: routes call them in a thread.

Tokens are random, given to their holder once, and stored as SHA-256 hashes only."""

import hashlib
import logging
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session as DbSession

from webui.auth.passwords import hash_password, verify_password
from webui.auth.roles import ROLES
from webui.clock import now
from webui.identity import DISPLAY, NO_ROLE, Credential, Grants, Identity
from webui.models import ApiToken, DisplayToken, RoleGrant, Session, User

log = logging.getLogger(__name__)

SESSION_COOKIE = "incus_webui_session"
DISPLAY_COOKIE = "incus_webui_display"  # a wall display's token, once it has left the URL
API_TOKEN_PREFIX = "iwt_"
DISPLAY_TOKEN_PREFIX = "iwd_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=now().tzinfo)


class AccountError(ValueError):
    pass


NO_PASSWORD = "!oidc"  # never an argon2 hash: accounts that sign in through OpenID Connect


def add_user(engine: Engine, name: str, role: str, password: str, break_glass: bool = False) -> None:
    """`break_glass`: may use the password form when oidc_only hides it from everyone else."""
    if role not in ROLES:
        raise AccountError(f'unknown role "{role}" (one of {", ".join(ROLES)})')
    if not name or len(name) > 100:
        raise AccountError("a user name is 1 to 100 characters")
    try:
        with DbSession(engine) as db, db.begin():
            db.add(
                User(
                    name=name, password_hash=hash_password(password), role=role, disabled=False, created_at=now(),
                    break_glass=break_glass,
                )
            )
    except IntegrityError as exc:
        raise AccountError(f'user "{name}" already exists') from exc


def has_users(engine: Engine) -> bool:
    """Whether any account exists (a fresh install says how to create the first)."""
    with DbSession(engine) as db:
        return db.scalar(select(User.id).limit(1)) is not None


def users(engine: Engine) -> list[User]:
    with DbSession(engine) as db:
        return list(db.scalars(select(User).order_by(User.name)))


def find_user(engine: Engine, name: str) -> User | None:
    with DbSession(engine) as db:
        return db.scalar(select(User).where(User.name == name))


def _user(db: DbSession, name: str) -> User:
    user = db.scalar(select(User).where(User.name == name))
    if user is None:
        raise AccountError(f'no user "{name}"')
    return user


def set_password(engine: Engine, name: str, password: str) -> None:
    with DbSession(engine) as db, db.begin():
        user = _user(db, name)
        if user.password_hash == NO_PASSWORD:  # a password would open it without the provider
            raise AccountError(f'"{name}" signs in through OpenID Connect: it has no password')
        user.password_hash = hash_password(password)
        db.execute(delete(Session).where(Session.user_id == user.id))  # log out everywhere


def disable_user(engine: Engine, name: str) -> None:
    """Disabled users can't log in; their sessions and tokens stop working at once."""
    with DbSession(engine) as db, db.begin():
        user = _user(db, name)
        user.disabled = True
        db.execute(delete(Session).where(Session.user_id == user.id))
        db.execute(update(ApiToken).where(ApiToken.user_id == user.id).values(revoked_at=now()))


def authenticate(engine: Engine, name: str, password: str) -> User | None:
    with DbSession(engine) as db:
        user = db.scalar(select(User).where(User.name == name))
        ok = verify_password(user.password_hash if user else None, password)
        return user if ok and user is not None and not user.disabled else None


def start_session(engine: Engine, user: User, lifetime: timedelta, replaces: str = "") -> str:
    """A new session for a login; the session the browser had before (if any) ends, so a
    session id planted before login is worthless after it (rotation)."""
    token = secrets.token_urlsafe(32)
    at = now()
    with DbSession(engine) as db, db.begin():
        if replaces:
            db.execute(delete(Session).where(Session.token_hash == token_hash(replaces)))
        db.add(
            Session(
                token_hash=token_hash(token), user_id=user.id, created_at=at, expires_at=at + lifetime, last_seen_at=at
            )
        )
    return token


def end_session(engine: Engine, token: str) -> None:
    with DbSession(engine) as db, db.begin():
        db.execute(delete(Session).where(Session.token_hash == token_hash(token)))


def grant(engine: Engine, name: str, role: str, cluster: str = "") -> str:
    """`name`'s role in `cluster` (when "": in every cluster without one of its own); NO_ROLE
    for none there. A cluster's role may be below the one in all: an admin of all can be an
    auditor of one. Returns the account's roles before, for the audit log."""
    if role not in (*ROLES, NO_ROLE):
        raise AccountError(f'unknown role "{role}" (one of {", ".join((*ROLES, NO_ROLE))})')
    with DbSession(engine) as db, db.begin():
        user = _user(db, name)
        before = str(held_by(db, user))
        if not cluster:
            user.role = role
        elif (held := db.scalar(select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.cluster == cluster))):
            held.role = role
        else:
            db.add(RoleGrant(user_id=user.id, cluster=cluster, role=role))
    return before


def ungrant(engine: Engine, name: str, cluster: str) -> str:
    """`name`'s own role in `cluster` withdrawn: its role in every cluster applies there again.
    AccountError when it had none; the account's roles before, for the audit log."""
    with DbSession(engine) as db, db.begin():
        user = _user(db, name)
        before = str(held_by(db, user))
        done = db.execute(delete(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.cluster == cluster))
        if not done.rowcount:  # type: ignore[attr-defined]
            raise AccountError(f'"{name}" has no role of its own in cluster "{cluster}"')
    return before


def hold(db: DbSession, user: User, grants: Grants) -> None:
    """`user` holds `grants` and no other: what an OpenID provider's groups say (webui/auth/oidc_store.py)."""
    user.role = grants.everywhere
    db.execute(delete(RoleGrant).where(RoleGrant.user_id == user.id))
    db.add_all(RoleGrant(user_id=user.id, cluster=cluster, role=role) for cluster, role in grants.clusters)


def grants_of(engine: Engine, name: str) -> Grants:
    with DbSession(engine) as db:
        return held_by(db, _user(db, name))


# Each account's role in all and its own per cluster: one row per role of its own in a cluster
# (one with none), keyed by the first column.
ROLES_QUERY = select(User.id, User.role, RoleGrant.cluster, RoleGrant.role).outerjoin(
    RoleGrant, RoleGrant.user_id == User.id
)


def _grants_from(rows: Iterable[Any]) -> dict[Any, Grants]:
    """Each key's roles, from rows of (key, role in all, cluster, role there) as an outer join
    of the grants gives them (cluster None: no role of its own anywhere)."""
    everywhere: dict[Any, str] = {}
    own: dict[Any, list[tuple[str, str]]] = {}
    for key, role, cluster, cluster_role in rows:
        everywhere[key] = role
        own.setdefault(key, []).extend([(cluster, cluster_role)] if cluster is not None else [])
    return {key: Grants(role, tuple(own[key])) for key, role in everywhere.items()}


def all_grants(engine: Engine) -> dict[int, Grants]:
    """Every account's roles, by user id: for the lists of accounts."""
    with DbSession(engine) as db:
        return _grants_from(db.execute(ROLES_QUERY))


def held_by(db: DbSession, user: User) -> Grants:
    """The roles `user` holds, in all clusters and in each of its own."""
    return _grants_from(db.execute(ROLES_QUERY.where(User.id == user.id)))[user.id]


# Built once: building it took half of each lookup's time. One row per role of the account's
# own in a cluster (one with none): its roles come with the session, in one query.
SESSION_QUERY = (
    select(
        Session.expires_at, Session.last_seen_at, User.name, User.role, User.disabled,
        RoleGrant.cluster, RoleGrant.role.label("cluster_role"),
    )
    .join(User, User.id == Session.user_id)
    .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
    .where(Session.token_hash == bindparam("key"))
)


def session_identity(engine: Engine, token: str, idle: timedelta) -> Identity | None:
    """Asked on every request, so a plain row rather than ORM objects (a third of the time)."""
    at = now()
    key = token_hash(token)
    with engine.begin() as connection:
        rows = connection.execute(SESSION_QUERY, {"key": key}).all()
        if not rows:
            return None
        row = rows[0]
        if row.disabled or _aware(row.expires_at) < at or _aware(row.last_seen_at) + idle < at:
            connection.execute(delete(Session).where(Session.token_hash == key))
            return None
        if at - _aware(row.last_seen_at) > timedelta(minutes=1):  # one write a minute at most
            connection.execute(update(Session).where(Session.token_hash == key).values(last_seen_at=at))
        grants = _grants_from((key, r.role, r.cluster, r.cluster_role) for r in rows)[key]
        return Identity(row.name, row.role, "session", grants)


def create_api_token(engine: Engine, name: str) -> str:
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with DbSession(engine) as db, db.begin():
        user = _user(db, name)
        db.add(ApiToken(user_id=user.id, token_hash=token_hash(token), created_at=now()))
    return token


def api_tokens(engine: Engine) -> list[tuple[ApiToken, str]]:
    with DbSession(engine) as db:
        rows = db.execute(select(ApiToken, User.name).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id))
        return [(token, user_name) for token, user_name in rows]


def revoke_api_token(engine: Engine, token_id: int) -> None:
    """AccountError when no token has this id, or it is revoked already: nothing happened,
    which the audit log must not record as a success."""
    _revoke(engine, ApiToken, token_id, "API token")


TOKEN_USE_GAP = timedelta(minutes=10)


def api_token_identity(engine: Engine, token: str) -> tuple[Identity | None, bool]:
    """The token's identity, and whether this use starts a new spell of use (none for
    TOKEN_USE_GAP), which the audit log records: every spell, not every request."""
    with DbSession(engine) as db, db.begin():
        query = select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        row = db.execute(query.where(ApiToken.token_hash == token_hash(token))).first()
        if row is None or row[0].revoked_at is not None or row[1].disabled:
            return None, False
        api_token, user = row
        grants = held_by(db, user)
        at = now()
        last = _aware(api_token.last_used_at) if api_token.last_used_at else None
        new_spell = last is None or at - last > TOKEN_USE_GAP
        if last is None or at - last > timedelta(minutes=1):  # one write a minute at most, as sessions
            api_token.last_used_at = at
        return Identity(user.name, user.role, f"token {api_token.id}", grants), new_spell


def create_display(engine: Engine, name: str, clusters: Sequence[str] = ()) -> str:
    """A wall display's token, for `clusters` (none: every cluster the dashboard holds)."""
    token = DISPLAY_TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with DbSession(engine) as db, db.begin():
            db.add(DisplayToken(name=name, token_hash=token_hash(token), created_at=now(), clusters=list(clusters)))
    except IntegrityError as exc:
        raise AccountError(f'display "{name}" already exists') from exc
    return token


def displays(engine: Engine) -> list[DisplayToken]:
    with DbSession(engine) as db:
        return list(db.scalars(select(DisplayToken).order_by(DisplayToken.name)))


def revoke_display(engine: Engine, display_id: int) -> None:
    """AccountError as revoke_api_token."""
    _revoke(engine, DisplayToken, display_id, "display")


class NotFound(AccountError):
    """What an action names does not exist (or no longer can be acted on): answered 404."""


def revocable(engine: Engine, kind: type[ApiToken] | type[DisplayToken], item_id: int) -> bool:
    """Whether `item_id` names a token of this kind that is not revoked yet."""
    with DbSession(engine) as db:
        return db.scalar(select(kind.id).where(kind.id == item_id, kind.revoked_at.is_(None))) is not None


def _revoke(engine: Engine, kind: type[ApiToken] | type[DisplayToken], item_id: int, what: str) -> None:
    with DbSession(engine) as db, db.begin():
        done = db.execute(update(kind).where(kind.id == item_id, kind.revoked_at.is_(None)).values(revoked_at=now()))
        if not done.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"no active {what} {item_id}")


def display_identity(engine: Engine, token: str) -> Identity | None:
    with DbSession(engine) as db:
        display = db.scalar(select(DisplayToken).where(DisplayToken.token_hash == token_hash(token)))
        if display is None or display.revoked_at is not None:
            return None
        return Identity(f"display:{display.name}", DISPLAY, "display", Grants.of_display(display.clusters or ()))


def ended(engine: Engine, credentials: frozenset[Credential], idle: timedelta) -> set[Credential]:
    """Of the credentials behind open streams, those that no longer open them: logged out,
    expired, idle too long, disabled, revoked, or one of the account's roles changed (a stream
    shows what its roles may see, in one cluster or in several). One query per kind for all
    streams, whatever their number."""
    at = now()
    sessions = {h for kind, h, _ in credentials if kind == "session"}
    displays = {h for kind, h, _ in credentials if kind == "display"}
    alive: set[Credential] = set()
    try:
        alive = _alive(engine, sessions, displays, idle, at)
    except SQLAlchemyError as exc:  # the streams go on; the next heartbeat asks again
        log.warning("could not check the credentials of open streams: %s", exc)
        return set()
    return set(credentials) - alive


def _alive(engine: Engine, sessions: set[str], displays: set[str], idle: timedelta, at: datetime) -> set[Credential]:
    alive: set[Credential] = set()
    with engine.connect() as connection:
        if sessions:  # filtered by the database: only the live ones' hashes come back (1,000 streams)
            rows = connection.execute(
                select(Session.token_hash, User.role, RoleGrant.cluster, RoleGrant.role.label("cluster_role"))
                .join(User, User.id == Session.user_id)
                .outerjoin(RoleGrant, RoleGrant.user_id == User.id)
                .where(
                    Session.token_hash.in_(sessions),
                    User.disabled.is_(False),
                    Session.expires_at >= at,
                    Session.last_seen_at >= at - idle,
                )
            )
            alive |= {("session", token, str(grants)) for token, grants in _grants_from(rows).items()}
        if displays:
            live = connection.execute(
                select(DisplayToken.token_hash, DisplayToken.clusters).where(
                    DisplayToken.token_hash.in_(displays), DisplayToken.revoked_at.is_(None)
                )
            )
            alive |= {("display", token, str(Grants.of_display(clusters or ()))) for token, clusters in live}
    return alive
