"""What each role may read of Incus's objects: credentials stay with admins.

A configuration key whose name says password, secret, token or key (`config_keys.is_secret`),
and a join token's secret, are replaced for everyone else, in `/api/v1` as on the pages."""

from webui.auth.roles import can
from webui.incus.models import Member, Operation, Server
from webui.services.config_keys import HIDDEN, redact


def sees_secrets(role: str) -> bool:
    return can(role, "admin")


def server_for(role: str, server: Server) -> Server:
    return server if sees_secrets(role) else server.model_copy(update={"config": redact(server.config)})


def member_for(role: str, member: Member) -> Member:
    return member if sees_secrets(role) else member.model_copy(update={"config": redact(member.config)})


def operation_for(role: str, operation: Operation) -> Operation:
    """A join token's operation without its secret (it is what lets a server join)."""
    metadata = operation.metadata or {}
    if sees_secrets(role) or "secret" not in metadata:
        return operation
    return operation.model_copy(update={"metadata": {**metadata, "secret": HIDDEN}})
