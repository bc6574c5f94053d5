"""What every service needs, built once per watched cluster: its name, the snapshot (through
the hub), its one Incus client, the watcher to wake after a change, the audit log, the database, what is
secret, and the turns of password hashing."""

from dataclasses import dataclass, field

from sqlalchemy import Engine

from webui.audit.log import AuditLog
from webui.auth.passwords import HashingGate
from webui.incus.client import IncusClient
from webui.live.hub import Hub
from webui.live.watcher import Watcher
from webui.services.configuration.secrets import Secrets
from webui.services.members.hardware import HardwareCache


@dataclass(frozen=True)
class Context:
    cluster: str  # the cluster's name, which its rows in the database carry (webui/clusters.py)
    hub: Hub
    client: IncusClient
    watcher: Watcher
    audit: AuditLog
    engine: Engine
    secrets: Secrets = field(default_factory=Secrets)  # what is secret (the site's `secret_keys` included)
    hashing: HashingGate = field(default_factory=HashingGate)  # password checks, a few at a time
    hardware: HardwareCache = field(default_factory=HardwareCache)  # each member's, read once
