"""Join tokens (`incus cluster add NAME`, `list-tokens`, `revoke-token`) and renaming a
member (`incus cluster rename`). Admin only, and audited without the token's secret.

Incus keeps a pending token as a running operation of class "token" whose metadata holds the
secret; the client builds the token a new server joins with (`shared/api/operation.go`
`ToClusterJoinToken`): base64 of JSON {server_name, fingerprint, addresses, secret, expires_at}.
"""

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from webui.identity import Actor
from webui.incus import names
from webui.incus.models import Operation
from webui.services.activity.operations import require_operation
from webui.services.context import Context
from webui.services.errors import Refused, valid_name
from webui.services.members.changes import known_member


@dataclass(frozen=True)
class JoinToken:
    operation_id: str
    server_name: str
    token: str  # what `incus admin init` (or the preseed's cluster_token) takes
    expires_at: datetime | None


def join_token(operation: Operation) -> JoinToken:
    meta = operation.metadata or {}
    expires = str(meta.get("expiresAt") or "")
    payload = {
        "server_name": meta.get("serverName", ""),
        "fingerprint": meta.get("fingerprint", ""),
        "addresses": meta.get("addresses") or [],
        "secret": meta.get("secret", ""),
        "expires_at": expires,
    }
    token = base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    return JoinToken(operation.id, str(payload["server_name"]), token, _time(expires))


def _time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


async def create(ctx: Context, who: Actor, name: str) -> tuple[Operation, JoinToken]:
    """`incus cluster add NAME`: the token, shown once (the audit log records only the name
    and the operation). A second token for the same name replaces the first, as in Incus."""
    async with ctx.audit.action(who, "create-join-token", name) as entry:
        if not name.strip():
            raise Refused(400, "A name is needed for the new member")
        valid_name(names.api_name, name.strip(), "cluster member name")
        operation = await ctx.client.create_join_token(name.strip())
        entry.operation_id = operation.id
    ctx.watcher.track(operation)
    return operation, join_token(operation)


async def revoke(ctx: Context, who: Actor, operation_id: str) -> None:
    """`incus cluster revoke-token`: cancel the token's operation."""
    operation = require_operation(ctx, operation_id)
    if operation.class_ != "token":
        raise Refused(400, "This operation is not a join token")
    name = str((operation.metadata or {}).get("serverName", ""))
    # Cancelling is synchronous: its own outcome, and the token's operation ends "failed"
    # (cancelled) under the create-join-token record that accepted it.
    async with ctx.audit.action(who, "revoke-join-token", name, {"operation": operation_id}):
        await ctx.client.cancel_operation(operation_id)
    ctx.watcher.wake()
    await ctx.watcher.sync_operations()


async def rename(ctx: Context, who: Actor, name: str, new_name: str) -> None:
    """`incus cluster rename NAME NEW`."""
    async with ctx.audit.action(who, "rename", name, {"new_name": new_name}):
        await known_member(ctx, name)
        if not new_name.strip():
            raise Refused(400, "A new name is needed")
        valid_name(names.api_name, new_name.strip(), "cluster member name")
        await ctx.client.rename_member(name, new_name.strip())
    ctx.watcher.wake()
