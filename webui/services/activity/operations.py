"""Incus operations the dashboard acts on: cancelling one, and recording the real outcome of
those it started (the audit log says "accepted" when Incus takes an operation, and the
outcome only when the operation ends, even if no dashboard was running then)."""

import logging
from collections.abc import Awaitable, Callable

import anyio.to_thread

from webui.audit.log import UNHEARD_END, UNKNOWN, AuditLog, AuditUnavailable
from webui.auth.roles import can
from webui.identity import Actor
from webui.incus.client import IncusClient
from webui.incus.errors import IncusError, IncusUnreachable
from webui.incus.models import UNHEARD, Operation
from webui.services.context import Context
from webui.services.errors import Refused


async def record_outcome(audit: AuditLog, operation: Operation) -> None:
    """Written once however often it is called: by the watcher's event, or by the action
    itself when the operation ended before "accepted" was written."""
    error = UNHEARD_END if operation.status == UNHEARD else operation.err
    await anyio.to_thread.run_sync(audit.operation_finished, operation.id, operation.status == "Success", error)


async def reconcile(audit: AuditLog, client: IncusClient) -> int:
    """At startup: the outcome of every operation left "accepted" (one that ended while no
    dashboard was running). Incus is asked about each; one it no longer knows (it forgets
    finished operations after a while) is recorded as "unknown". Running ones are left to
    the watcher. Returns how many were settled."""
    settled = 0
    for operation_id in await anyio.to_thread.run_sync(audit.unsettled):
        try:
            operation = await client.operation(operation_id)
        except IncusUnreachable:
            return settled  # try again at the next start, rather than guess
        except IncusError as exc:
            if exc.status != 404:
                raise
            await anyio.to_thread.run_sync(audit.operation_finished, operation_id, False, UNKNOWN)
        else:
            if not operation.finished:
                continue
            await record_outcome(audit, operation)
        settled += 1
    return settled


async def reconcile_logged(audit: AuditLog, client: IncusClient) -> None:
    """reconcile() as a background task of the server: says what it did, and why not."""
    try:
        if settled := await reconcile(audit, client):
            logging.getLogger(__name__).info("settled %d operations left \"accepted\"", settled)
    except (IncusError, AuditUnavailable) as exc:
        logging.getLogger(__name__).warning("could not settle operations left \"accepted\": %s", exc)


def outcome_recorder(audit: AuditLog) -> Callable[[Operation], Awaitable[None]]:
    """A watcher operation handler: the real outcome of each operation that ends."""

    async def record(operation: Operation) -> None:
        if operation.finished:
            await record_outcome(audit, operation)

    return record


def require_operation(ctx: Context, operation_id: str) -> Operation:
    operation = ctx.hub.snapshot.operation(operation_id)
    if operation is None:
        raise Refused(404, "Operation not found (finished ones are forgotten after a while)")
    return operation


async def cancel(ctx: Context, who: Actor, operation_id: str) -> None:
    """Ask Incus to cancel; the outcome arrives as an operation event, like any other. A join
    token is revoked by cancelling it: admins only, like creating one."""
    found = ctx.hub.snapshot.operation(operation_id)
    if found is not None and found.class_ == "token" and not can(who.role, "admin"):
        raise Refused(403, "Forbidden: only an admin may revoke a join token")
    async with ctx.audit.action(who, "cancel-operation", operation_id):
        await ctx.client.cancel_operation(operation_id)
    ctx.watcher.wake()
