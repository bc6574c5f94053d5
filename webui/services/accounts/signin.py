"""Signing in and out, API tokens and NOC display tokens: each change audited. Login failures
are recorded and, past a few per name or per address, throttled."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import anyio.to_thread
from sqlalchemy import Engine

from webui.audit.log import AuditLog
from webui.auth import oidc_store, second_factor, store, throttle
from webui.auth.passwords import HashingBusy
from webui.identity import Actor, Identity
from webui.models import ApiToken, DisplayToken, User
from webui.services.context import Context
from webui.services.errors import Refused
from webui.settings import Settings


@dataclass(frozen=True)
class LoggedIn:
    """A right password's outcome: a session, or a login step (its token) still waiting for the
    second factor ("code") or, for an admin that local_admin_totp requires it of, its enrolment
    ("enrol")."""

    session: str = ""
    step: str = ""
    purpose: str = ""


async def log_in(
    ctx: Context, settings: Settings, who: Actor, name: str, password: str, old_session: str, next_path: str = "/"
) -> LoggedIn:
    """A new session for `name` (the old session, if any, ends), or the second factor still to
    give: Refused 429 while throttled, 401 for a wrong name or password."""
    window = timedelta(minutes=settings.login_lockout_minutes)
    verdict = await anyio.to_thread.run_sync(
        lambda: throttle.attempt(
            ctx.engine, name, who.client_address, settings.login_max_failures,
            settings.login_max_failures_per_address, window,
        )
    )
    if verdict.burst_ended:
        await _dashboard_log(ctx).append_async(
            **who.fields(), action="login", target=name, outcome="denied", error="throttled",
            parameters={"refused": verdict.burst_ended},
        )
    if not verdict.allowed:
        if verdict.first_refusal:  # the rest of the burst is counted, and recorded when it ends
            await _dashboard_log(ctx).append_async(
                **who.fields(), action="login", target=name, outcome="denied", error="throttled"
            )
        raise Refused(429, f"Too many failed logins. Try again in {int(settings.login_lockout_minutes)} minutes.")
    try:
        async with ctx.hashing.turn():
            user = await anyio.to_thread.run_sync(store.authenticate, ctx.engine, name, password)
    except HashingBusy:
        raise Refused(429, "Too many logins at once. Try again in a few seconds.") from None
    if user is None:
        await _dashboard_log(ctx).append_async(
            **who.fields(), action="login", target=name, outcome="failed", error="wrong name or password"
        )
        raise Refused(401, "Wrong user name or password.")
    if settings.oidc_only and not user.break_glass:
        await ctx.audit.append_async(
            **who.fields(), action="login", target=name, outcome="denied", error="oidc_only: not a break-glass account"
        )
        provider = settings.oidc_provider_name
        raise Refused(403, f"Sign in with {provider}: the password form is for break-glass accounts.")
    # The throttle's count starts again only once the login is done: each password login that
    # stops at the second factor counts, so its codes cannot be guessed without end.
    # An admin of one cluster is an admin: local_admin_totp asks it too.
    admin = settings.local_admin_totp and "admin" in (
        await anyio.to_thread.run_sync(store.grants_of, ctx.engine, user.name)
    ).roles()
    if user.totp_secret or admin:
        purpose = "code" if user.totp_secret else "enrol"
        step = await anyio.to_thread.run_sync(second_factor.start_step, ctx.engine, user, purpose, next_path)
        await ctx.audit.append_async(
            **who.fields(), action="login", target=user.name, outcome="accepted", parameters={"second_factor": purpose}
        )
        return LoggedIn(step=step, purpose=purpose)
    return LoggedIn(session=await start_session(ctx, settings, who, user, old_session))


async def start_session(
    ctx: Context, settings: Settings, who: Actor, user: User, old_session: str, **parameters: str
) -> str:
    """The session of a login done, recorded."""
    await anyio.to_thread.run_sync(throttle.succeeded, ctx.engine, user.name, who.client_address)
    lifetime = timedelta(hours=settings.session_hours)
    token = await anyio.to_thread.run_sync(store.start_session, ctx.engine, user, lifetime, old_session)
    signed_in = replace(who, identity=Identity(user.name, user.role, "session"))
    await _dashboard_log(ctx).append_async(
        **signed_in.fields(), action="login", target=user.name, outcome="succeeded", parameters=parameters
    )
    return token


async def log_out(ctx: Context, who: Actor, session: str) -> None:
    await anyio.to_thread.run_sync(store.end_session, ctx.engine, session)
    await _dashboard_log(ctx).append_async(
        **who.fields(), action="logout", target=who.fields()["actor"], outcome="succeeded"
    )


async def create_display(ctx: Context, who: Actor, name: str) -> str:
    """A new display's token (shown once); Refused 422 without a name, 409 for a taken one."""
    if not name.strip():
        raise Refused(422, "Give the display a name.")
    try:
        async with _dashboard_log(ctx).action(who, "create-display", name):
            return await anyio.to_thread.run_sync(store.create_display, ctx.engine, name.strip())
    except store.AccountError as exc:
        raise Refused(409, str(exc)) from exc


async def create_api_token(ctx: Context, who: Actor, user: str) -> str:
    """A new API token acting as `user` (shown once); Refused 422 for an unknown user."""
    try:
        async with _dashboard_log(ctx).action(who, "create-token", user):
            return await anyio.to_thread.run_sync(store.create_api_token, ctx.engine, user)
    except store.AccountError as exc:
        raise Refused(422, str(exc)) from exc


# What each revoke names: the table, and its name in a sentence.
REVOCABLE: dict[str, tuple[type[ApiToken] | type[DisplayToken], str]] = {
    "revoke-token": (ApiToken, "API token"),
    "revoke-display": (DisplayToken, "display"),
}


def _dashboard_log(ctx: Context) -> AuditLog:
    """Accounts, sessions, tokens and displays are the whole dashboard's, about no cluster."""
    return ctx.audit.of_cluster("")


def check_revocable(audit: AuditLog, who: Actor, action: str, item_id: int) -> None:
    """Refused 404, and recorded "denied", when `item_id` names nothing this revoke could act
    on (no such id, or revoked already): never recorded as if something had been revoked.
    Synchronous: the CLI calls it as it is, the pages in a thread."""
    kind, what = REVOCABLE[action]
    if store.revocable(audit.engine, kind, item_id):
        return
    reason = f"No active {what} with id {item_id}: nothing revoked."
    audit.denied(who, action, str(item_id), reason)
    raise Refused(404, reason)


async def _revoke(ctx: Context, who: Actor, action: str, revoke: Callable[[Engine, int], None], item_id: int) -> None:
    await anyio.to_thread.run_sync(check_revocable, ctx.audit, who, action, item_id)
    try:
        async with _dashboard_log(ctx).action(who, action, str(item_id)):
            await anyio.to_thread.run_sync(revoke, ctx.engine, item_id)
    except store.NotFound as exc:  # revoked by someone else since the check: recorded "failed"
        raise Refused(404, str(exc)) from exc


async def revoke_display(ctx: Context, who: Actor, display_id: int) -> None:
    await _revoke(ctx, who, "revoke-display", store.revoke_display, display_id)


async def revoke_api_token(ctx: Context, who: Actor, token_id: int) -> None:
    await _revoke(ctx, who, "revoke-token", store.revoke_api_token, token_id)


async def block_oidc_account(ctx: Context, who: Actor, account_id: int) -> str:
    """Block someone seen through OpenID Connect: their sessions end now, and the provider's
    word no longer signs them in. Their account name; Refused 404 for no such account."""
    name = await anyio.to_thread.run_sync(oidc_store.account_user, ctx.engine, account_id)
    if not name:
        reason = f"No OpenID Connect account with id {account_id}."
        await anyio.to_thread.run_sync(ctx.audit.denied, who, "block-oidc-user", str(account_id), reason)
        raise Refused(404, reason)
    async with ctx.audit.action(who, "block-oidc-user", name):
        await anyio.to_thread.run_sync(store.disable_user, ctx.engine, name)
    return name
