"""Every table the dashboard keeps, in one module so Alembic (migrations/env.py) and readers
find them together: accounts and their credentials, the audit log, cluster history and the pinned certificate."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


# Accounts, browser sessions, API tokens and NOC display tokens. Secrets are stored hashed.


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # With oidc_only, the password form is for these accounts alone (the provider may be down).
    break_glass: Mapped[bool] = mapped_column(Boolean, default=False)
    # A second factor (TOTP, RFC 6238): "" until enrolled; the last time step accepted (a code
    # is good once); the recovery codes not used yet, as SHA-256 hashes.
    totp_secret: Mapped[str] = mapped_column(String(64), default="")
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    recovery_codes: Mapped[list[str]] = mapped_column(JSON, default=list)


class RoleGrant(Base):
    """A role an account holds in one cluster, over the role it holds in all (User.role)."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "cluster"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cluster: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))


class LoginStep(Base):
    """A login half done: the password was right, the second factor is still to come (or, for
    an admin that local_admin_totp requires one of, to be enrolled). The browser holds a random
    token (its SHA-256 here) for a few minutes and a few tries."""

    __tablename__ = "login_steps"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))  # code, enrol
    next_path: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class OidcAccount(Base):
    """A person seen through OpenID Connect: the account (users row, no password) that their
    issuer and subject sign in as, the groups of their last ID token, and what keeps their role
    current without them (the refresh token) until the next check is due."""

    __tablename__ = "oidc_accounts"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_login_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # groups last read
    refresh_token: Mapped[str] = mapped_column(Text, default="")
    id_token: Mapped[str] = mapped_column(Text, default="")  # the last one: the hint of RP-initiated logout


class OidcLogin(Base):
    """A sign-in on its way through the provider, by the SHA-256 of its `state`: taken (deleted)
    by the one callback that finishes it, whichever dashboard process that reaches."""

    __tablename__ = "oidc_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(200))
    next_path: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Session(Base):
    """A browser session: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DisplayToken(Base):
    """A wall display's key: opens the NOC view and its stream, nothing else."""

    __tablename__ = "display_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    clusters: Mapped[list[str]] = mapped_column(JSON, default=list)  # the wall's clusters; none: all


# The audit log: append-only and hash-chained, so an altered or removed record shows.


class AuditRecord(Base):
    __tablename__ = "audit_log"
    # Not read back after an insert: `cluster` (below) may not exist yet during migrations.
    __mapper_args__ = {"eager_defaults": False}
    # One record per predecessor: two writers that raced would fork the chain; the database refuses.
    __table_args__ = (UniqueConstraint("prev_hash", name="uq_audit_log_prev_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)  # user name, "display:NAME" or ""
    role: Mapped[str] = mapped_column(String(20))
    via: Mapped[str] = mapped_column(String(100))  # session, token NAME, sso, display, cli
    source_address: Mapped[str] = mapped_column(String(100))  # the socket's peer
    # What X-Forwarded-For said, when the peer is a configured proxy (forwarded_allow_ips).
    forwarded_for: Mapped[str] = mapped_column(String(100), default="")
    user_agent: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(255), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    operation_id: Mapped[str] = mapped_column(String(100), index=True)
    # requested accepted succeeded failed denied unknown
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    error: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the "requested" record
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))  # HMAC with the audit key ("" key_id: plain SHA-256)
    key_id: Mapped[str] = mapped_column(String(16), default="")
    # The cluster the record is about ("" for the dashboard's own: logins, accounts, displays).
    # Deferred, with the database's default: the migrations before 0011 read and write the log
    # through this model, where the column does not exist yet (webui/audit/log.py, `loaded`).
    cluster: Mapped[str] = mapped_column(String(50), index=True, server_default="", deferred=True)


class LoginThrottle(Base):
    """Failed logins lately, per address and per account-from-an-address, counted by one
    atomic statement so parallel attempts cannot all pass on a stale count."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refused: Mapped[int] = mapped_column(Integer, default=0)  # attempts refused, not yet recorded


class AuditRefusal(Base):
    """Anonymous requests refused in one minute from one address, counted here (one atomic
    upsert each, so every process adds to the same row) and written to the audit log as one
    record with the count once the minute is over (webui/audit/refusals.py)."""

    __tablename__ = "audit_refusals"

    key: Mapped[str] = mapped_column(String(150), primary_key=True)  # the minute and the address
    minute: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    address: Mapped[str] = mapped_column(String(100))  # "*": past MAX_ADDRESSES in one minute
    forwarded_for: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer)
    # The first refusal's, cut short: what the record says was tried.
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(255))
    user_agent: Mapped[str] = mapped_column(String(200))
    error: Mapped[str] = mapped_column(String(200))


class ClusterEvent(Base):
    """A cluster lifecycle event from Incus, whoever caused it (dashboard or `incus` CLI)."""

    __tablename__ = "cluster_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The cluster it belongs to (webui/clusters.py), as the dashboard names it.
    cluster: Mapped[str] = mapped_column(String(50), index=True, default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    source: Mapped[str] = mapped_column(String(500))
    location: Mapped[str] = mapped_column(String(255), default="")
    project: Mapped[str] = mapped_column(String(255), default="")
    requestor_username: Mapped[str] = mapped_column(String(255), default="")
    requestor_protocol: Mapped[str] = mapped_column(String(50), default="")
    requestor_address: Mapped[str] = mapped_column(String(255), default="")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PinnedCertificate(Base):
    """The cluster certificate the dashboard trusts, once one process has seen it replaced:
    every process re-reads it when Incus's certificate no longer matches its pin."""

    __tablename__ = "pinned_certificates"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)  # the cluster's (webui/clusters.py)
    certificate: Mapped[str] = mapped_column(Text)  # PEM
    fingerprint: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# Maintenance on record: evacuations and restores instance by instance, healing and
# rebalancing. Several dashboard processes hear the same Incus events: each row has a unique
# key from Incus (operation id; event time, member and instance) and is inserted if absent.


class MaintenanceRun(Base):
    __tablename__ = "maintenance_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The cluster it belongs to (webui/clusters.py), as the dashboard names it.
    cluster: Mapped[str] = mapped_column(String(50), index=True, default="")
    operation_id: Mapped[str] = mapped_column(String(100), unique=True)  # Incus's operation
    member: Mapped[str] = mapped_column(String(255), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # evacuate, restore
    mode: Mapped[str] = mapped_column(String(20), default="")
    requestor: Mapped[str] = mapped_column(String(255), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), index=True)  # running succeeded failed cancelled
    error: Mapped[str] = mapped_column(Text, default="")
    # A failed run stays red on the wall display until someone acknowledges it (every
    # dashboard process reads it here).
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[str] = mapped_column(String(255), default="")


class MaintenanceStep(Base):
    """One instance of a run: its state, the member it went to (or came from), Incus's error."""

    __tablename__ = "maintenance_instances"
    __table_args__ = (UniqueConstraint("run_id", "project", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("maintenance_runs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    project: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20))
    member: Mapped[str] = mapped_column(String(255), default="")
    error: Mapped[str] = mapped_column(Text, default="")


class HealingEvent(Base):
    """`cluster-member-healed`: Incus evacuated an offline member by itself. `claimed_by` is
    the one dashboard process that runs the fencing hook and webhook for it."""

    __tablename__ = "healing_events"
    __table_args__ = (UniqueConstraint("member", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The cluster it belongs to (webui/clusters.py), as the dashboard names it.
    cluster: Mapped[str] = mapped_column(String(50), index=True, default="")
    member: Mapped[str] = mapped_column(String(255), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    restored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claimed_by: Mapped[str] = mapped_column(String(100), default="")


class RebalanceMove(Base):
    """An instance Incus moved by itself (`instance-migrated` with no requestor)."""

    __tablename__ = "rebalance_moves"
    __table_args__ = (UniqueConstraint("project", "instance", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The cluster it belongs to (webui/clusters.py), as the dashboard names it.
    cluster: Mapped[str] = mapped_column(String(50), index=True, default="")
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    project: Mapped[str] = mapped_column(String(255))
    instance: Mapped[str] = mapped_column(String(255))
    from_member: Mapped[str] = mapped_column(String(255), default="")
    to_member: Mapped[str] = mapped_column(String(255), default="")


class RollingUpgrade(Base):
    """The guided rolling upgrade: its plan (each member's step) as JSON, and the dashboard
    process driving it now (a lease, renewed while it lives, so one process acts at a time)."""

    __tablename__ = "rolling_upgrades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The cluster it belongs to (webui/clusters.py), as the dashboard names it.
    cluster: Mapped[str] = mapped_column(String(50), index=True, default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_by: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20), index=True)  # running cancelled finished
    plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    driver: Mapped[str] = mapped_column(String(100), default="")
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LiveSnapshotField(Base):
    """With PostgreSQL, the watcher leader's cluster snapshot, one row per field as JSON
    (webui/live/relay.py): the processes that follow it read what NOTIFY could not carry,
    and all of it when they start or take over."""

    __tablename__ = "live_snapshot"

    cluster: Mapped[str] = mapped_column(String(50), primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
