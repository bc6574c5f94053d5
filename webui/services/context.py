"""What every service needs, built once in the app's lifespan: the snapshot (through the hub),
the one Incus client, the watcher to wake after a change, the audit log and the database."""

from dataclasses import dataclass

from sqlalchemy import Engine

from webui.audit.log import AuditLog
from webui.incus.client import IncusClient
from webui.live.hub import Hub
from webui.live.watcher import Watcher


@dataclass(frozen=True)
class Context:
    hub: Hub
    client: IncusClient
    watcher: Watcher
    audit: AuditLog
    engine: Engine
