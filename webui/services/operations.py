"""Incus operations the dashboard acts on: cancelling one, and recording the real outcome of
those it started (the audit log says "accepted" when Incus takes an operation, and the
outcome only when the operation ends)."""

from collections.abc import Awaitable, Callable

import anyio.to_thread

from webui.audit.log import AuditLog
from webui.identity import Actor
from webui.incus.models import Operation
from webui.services.context import Context
from webui.services.errors import Refused


async def record_outcome(audit: AuditLog, operation: Operation) -> None:
    """Written once however often it is called: by the watcher's event, or by the action
    itself when the operation ended before "accepted" was written."""
    await anyio.to_thread.run_sync(audit.operation_finished, operation)


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
    """Ask Incus to cancel; the outcome arrives as an operation event, like any other."""
    async with ctx.audit.action(who, "cancel-operation", operation_id):
        await ctx.client.cancel_operation(operation_id)
    ctx.watcher.wake()
