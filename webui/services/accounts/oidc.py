"""Signing in through the OpenID provider, and keeping each such person's role what their
groups say: every sign-in, every refusal (with its reason) and every role their groups change
is an audit record naming the issuer and subject."""

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError

from webui.audit.log import AuditUnavailable
from webui.auth import oidc_store, store
from webui.auth.oidc import OidcRefused, Provider, Signed
from webui.auth.roles import anywhere, grants_for_groups
from webui.clock import now
from webui.identity import Actor, Identity
from webui.services.context import Context
from webui.services.errors import Refused
from webui.settings import Settings

log = logging.getLogger(__name__)
ACTION = "oidc-login"
PENDING_SECONDS = int(oidc_store.PENDING.total_seconds())


@dataclass(frozen=True)
class SignIn:
    session: str  # the new session's token, for the cookie
    next_path: str


async def start(ctx: Context, provider: Provider, who: Actor, redirect_uri: str, next_path: str) -> tuple[str, str]:
    """The provider's authorization URL for a new sign-in, and its state (kept for the
    callback); Refused 502, recorded, when the provider cannot be asked or is not the issuer."""
    try:
        begun = await provider.start(redirect_uri)
    except OidcRefused as exc:
        refused = await _refuse(ctx, who, provider, exc.reason)
        raise Refused(502, f"Signing in with the provider is not possible now: {exc.reason}.") from refused
    await anyio.to_thread.run_sync(
        oidc_store.save_login, ctx.engine, begun.state, begun.nonce, begun.code_verifier, next_path
    )
    return begun.url, begun.state


async def _refuse(ctx: Context, who: Actor, provider: Provider, reason: str, signed: Signed | None = None) -> Refused:
    """The refusal, recorded: what the person is told, and the audit log's reason."""
    parameters: dict[str, Any] = {"issuer": provider.issuer}
    if signed is not None:
        parameters.update(subject=signed.subject, groups=signed.groups)
    await ctx.audit.append_async(
        **who.fields(), action=ACTION, target=signed.name if signed else "", outcome="denied",
        error=reason, parameters=parameters,
    )
    return Refused(403, f"Sign-in refused: {reason}.")


async def finish(
    ctx: Context, settings: Settings, provider: Provider, who: Actor, redirect_uri: str,
    query: dict[str, str], state_cookie: str, old_session: str,
) -> SignIn:
    """The provider's answer (the callback's query) turned into a session, or Refused (403)
    with the reason, recorded."""
    state = query.get("state", "")
    if query.get("error"):  # the person cancelled, or the provider refused them
        words = f"{query['error']} {query.get('error_description', '')}".strip()[:200]
        raise await _refuse(ctx, who, provider, f"the provider answered {words}")
    if not state or state != state_cookie:  # another browser's sign-in, or a forged callback
        raise await _refuse(ctx, who, provider, "the sign-in was not started in this browser")
    pending = await anyio.to_thread.run_sync(oidc_store.take_login, ctx.engine, state)
    if pending is None:
        raise await _refuse(ctx, who, provider, "unknown or already used sign-in (a replayed callback)")
    try:
        signed = await provider.finish(redirect_uri, query.get("code", ""), pending.code_verifier, pending.nonce)
    except OidcRefused as exc:
        raise await _refuse(ctx, who, provider, exc.reason) from exc
    grants = grants_for_groups(signed.groups, settings.oidc_roles, settings.cluster_names())
    if not anywhere(grants, "view"):
        raise await _refuse(ctx, who, provider, "no mapped group", signed)
    role = str(grants)
    try:
        done = await anyio.to_thread.run_sync(oidc_store.record_sign_in, ctx.engine, signed, grants)
    except oidc_store.Blocked:
        raise await _refuse(ctx, who, provider, "blocked by an admin", signed) from None
    lifetime = timedelta(hours=settings.session_hours)
    token = await anyio.to_thread.run_sync(store.start_session, ctx.engine, done.user, lifetime, old_session)
    signed_in = replace(who, identity=Identity(done.user.name, grants.everywhere, "oidc", grants).at(ctx.cluster))
    parameters: dict[str, Any] = {"issuer": signed.issuer, "subject": signed.subject, "groups": signed.groups}
    if done.old_role and done.old_role != role:  # their groups changed since they last signed in
        await ctx.audit.append_async(
            **signed_in.fields(), action="oidc-role", target=done.user.name, outcome="succeeded",
            parameters={**parameters, "previous_role": done.old_role, "new_role": role},
        )
    await ctx.audit.append_async(
        **signed_in.fields(), action=ACTION, target=done.user.name, outcome="succeeded", parameters=parameters
    )
    return SignIn(token, pending.next_path)


async def recheck(ctx: Context, settings: Settings, provider: Provider, item: oidc_store.Due) -> None:
    """One account's groups read again through its refresh token: its role follows them, and
    with none mapped (or no way to ask) its sessions, and their streams, end."""
    if not await anyio.to_thread.run_sync(oidc_store.claim, ctx.engine, item):
        return  # another dashboard process is at it
    fields = {"actor": item.user_name, "role": item.role, "via": "oidc", "source_address": "", "user_agent": ""}
    parameters: dict[str, Any] = {"issuer": item.issuer, "subject": item.subject}
    try:
        if not item.refresh_token:
            raise OidcRefused("the provider gave no refresh token: the person signs in again")
        signed = await provider.refresh(item.refresh_token)
        if (signed.issuer, signed.subject) != (item.issuer, item.subject):
            raise OidcRefused("the refreshed ID token names someone else")
    except OidcRefused as exc:
        await anyio.to_thread.run_sync(oidc_store.end_sessions, ctx.engine, item.account_id)
        await ctx.audit.append_async(
            **fields, action="oidc-refresh", target=item.user_name, outcome="denied", error=exc.reason,
            parameters=parameters,
        )
        return
    grants = grants_for_groups(signed.groups, settings.oidc_roles, settings.cluster_names())
    role = str(grants) if anywhere(grants, "view") else ""
    await anyio.to_thread.run_sync(oidc_store.regroup, ctx.engine, item.account_id, signed, grants if role else None)
    if role != item.role:
        await ctx.audit.append_async(
            **fields, action="oidc-role", target=item.user_name, outcome="succeeded" if role else "denied",
            error="" if role else "no mapped group: sessions ended",
            parameters={**parameters, "groups": signed.groups, "previous_role": item.role, "new_role": role},
        )


async def keep_roles_current(ctx: Context, settings: Settings, provider: Provider) -> None:
    """Every signed-in OIDC account's groups read again at least every oidc_refresh minutes.
    Runs for the app's life; a round the database or the audit log refuses is tried again."""
    every = timedelta(minutes=settings.oidc_refresh)
    pause = min(60.0, every.total_seconds() / 2)
    while True:
        await asyncio.sleep(pause)
        try:
            # Due a round early: read at most `every` after the last time, never a round later.
            due_before = now() - every + timedelta(seconds=pause)
            for item in await anyio.to_thread.run_sync(oidc_store.due, ctx.engine, due_before):
                await recheck(ctx, settings, provider, item)
        except (SQLAlchemyError, AuditUnavailable) as exc:  # the next round tries again
            log.warning("could not check the groups of signed-in OIDC accounts: %s", exc)


async def logout_url(ctx: Context, provider: Provider, user_name: str, after: str) -> str:
    """Where to end the provider's session too (RP-initiated logout) for an account signed in
    through it; "" for a local account, or when the provider offers no end_session_endpoint."""
    id_token = await anyio.to_thread.run_sync(oidc_store.last_id_token, ctx.engine, user_name)
    if id_token is None:
        return ""
    try:
        return await provider.logout_url(id_token, after)
    except OidcRefused as exc:  # the dashboard's session has ended all the same
        log.warning("no RP-initiated logout at the provider: %s", exc.reason)
        return ""
