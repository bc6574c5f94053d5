"""What every service needs, built once in the app's lifespan: the snapshot (through the hub),
the one Incus client, the watcher to wake after a change, the audit log, the database, and what is secret."""

from dataclasses import dataclass

from sqlalchemy import Engine

from webui.audit.log import AuditLog
from webui.incus.client import IncusClient
from webui.live.hub import Hub
from webui.live.watcher import Watcher
from webui.services.secrets import Secrets


@dataclass(frozen=True)
class Context:
    hub: Hub
    client: IncusClient
    watcher: Watcher
    audit: AuditLog
    engine: Engine
    secrets: Secrets = Secrets()  # what is secret (the site's `secret_keys` included)
