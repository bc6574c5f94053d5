"""The second factor of local accounts: giving it at login, enrolling (at login when
local_admin_totp requires it, or later from the account's own page), each step recorded."""

from dataclasses import dataclass

import anyio.to_thread

from webui.auth import second_factor, store, totp
from webui.identity import Actor
from webui.services.accounts.signin import start_session
from webui.services.context import Context
from webui.services.errors import Refused
from webui.settings import Settings


class StepExpired(Refused):
    """The login step is gone (too old, too many wrong codes): the login starts again."""

    def __init__(self) -> None:
        super().__init__(401, "This login has expired or had too many wrong codes: log in again.")


@dataclass(frozen=True)
class Done:
    session: str
    next_path: str
    recovery_codes: list[str]  # new ones, shown once; [] when none were made


async def _waiting(ctx: Context, step: str, purpose: str) -> second_factor.Waiting:
    found = await anyio.to_thread.run_sync(second_factor.waiting, ctx.engine, step)
    if found is None or found.purpose != purpose:
        raise StepExpired()
    return found


async def check_step(ctx: Context, step: str, purpose: str) -> str:
    """The account name a login step stands for; StepExpired when it is gone."""
    return (await _waiting(ctx, step, purpose)).user.name


async def give_code(ctx: Context, settings: Settings, who: Actor, step: str, code: str, old_session: str) -> Done:
    """The login finished with the authenticator's code or a recovery code; Refused 401 if wrong."""
    found = await _waiting(ctx, step, "code")
    how = await anyio.to_thread.run_sync(second_factor.check, ctx.engine, found.user.id, code)
    if not how:
        await anyio.to_thread.run_sync(second_factor.failed, ctx.engine, step)
        await ctx.audit.append_async(
            **who.fields(), action="login", target=found.user.name, outcome="failed", error="wrong second factor code"
        )
        raise Refused(401, "Wrong code. Give the 6 digits your authenticator shows now, or a recovery code.")
    await anyio.to_thread.run_sync(second_factor.end_step, ctx.engine, step)
    session = await start_session(ctx, settings, who, found.user, old_session, second_factor=how)
    return Done(session, found.next_path, [])


async def enrol_at_login(
    ctx: Context, settings: Settings, who: Actor, step: str, secret: str, code: str, old_session: str
) -> Done:
    """An admin's enrolment that local_admin_totp requires, then their session."""
    found = await _waiting(ctx, step, "enrol")
    codes = await _enrol(ctx, who, found.user.id, found.user.name, secret, code)
    await anyio.to_thread.run_sync(second_factor.end_step, ctx.engine, step)
    session = await start_session(ctx, settings, who, found.user, old_session, second_factor="enrolled")
    return Done(session, found.next_path, codes)


async def enrol_signed_in(ctx: Context, who: Actor, secret: str, code: str) -> list[str]:
    """A signed-in local account's enrolment (or a new authenticator): its recovery codes."""
    user = await anyio.to_thread.run_sync(store.find_user, ctx.engine, who.identity.name if who.identity else "")
    if user is None or user.password_hash == store.NO_PASSWORD:
        raise Refused(409, "You sign in through your identity provider: its own second factor applies.")
    return await _enrol(ctx, who, user.id, user.name, secret, code)


async def _enrol(ctx: Context, who: Actor, user_id: int, name: str, secret: str, code: str) -> list[str]:
    if len(secret) != 32 or not secret.isalnum():  # what totp.new_secret() made for the form
        raise Refused(422, "The enrolment form was changed: open it again.")
    codes = await anyio.to_thread.run_sync(second_factor.enrol, ctx.engine, user_id, secret, code)
    if codes is None:
        await ctx.audit.append_async(**who.fields(), action="totp-enrol", target=name, outcome="failed",
                                     error="wrong code")
        raise Refused(422, "Wrong code: scan the QR code again, then give the 6 digits your authenticator shows.")
    await ctx.audit.append_async(**who.fields(), action="totp-enrol", target=name, outcome="succeeded")
    return codes


def enrolment(name: str, secret: str = "") -> tuple[str, str]:
    """The secret of `name`'s enrolment form (a new one unless the form sent one back, a wrong
    code given), and its QR code (SVG)."""
    secret = secret or totp.new_secret()
    return secret, totp.qr_svg(totp.enrolment_uri(secret, name))


async def enrolled(ctx: Context, who: Actor) -> bool | None:
    """Whether the signed-in account has a second factor; None for one signed in through the
    identity provider (whose own second factor applies)."""
    user = await anyio.to_thread.run_sync(store.find_user, ctx.engine, who.identity.name if who.identity else "")
    if user is None or user.password_hash == store.NO_PASSWORD:
        return None
    return bool(user.totp_secret)
