"""Cluster-wide changes, shared by the pages and the JSON API: checked here, then sent to Incus,
then read back at once (the pages show the outcome without waiting for the slow round)."""

from typing import Any

from webui.audit.log import Actor, AuditLog
from webui.certificates import CertificateInfo, CertificateProblem, check_replacement
from webui.cluster_config import invalid_config
from webui.incus.client import IncusClient
from webui.incus.errors import IncusError
from webui.live.watcher import Watcher


class ConfigRefused(IncusError):
    """Values the dashboard refuses before Incus sees them; `problems` by key, for the form."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(400, "; ".join(f"{key}: {problem}" for key, problem in problems.items()))
        self.problems = problems


async def update_config(
    client: IncusClient, watcher: Watcher, audit: AuditLog, who: Actor, changes: dict[str, Any], target: str = ""
) -> None:
    """PATCH the server configuration: ConfigRefused for a known key's bad value, IncusError as Incus says."""
    values = {k: "" if v is None else str(v) for k, v in changes.items()}
    async with audit.action(who, "configure", target or "cluster", values):
        if problems := invalid_config(values, target):
            raise ConfigRefused(problems)
        await client.update_server(values, target)
    await watcher.refresh_servers()


async def replace_certificate(
    client: IncusClient, watcher: Watcher, audit: AuditLog, who: Actor, certificate: str, key: str
) -> CertificateInfo:
    """Send a new cluster certificate once it passes the local checks, then trust it ourselves:
    every member serves it from now on, and the old pin would lock the dashboard out."""
    async with audit.action(who, "update-certificate", "cluster") as entry:
        try:
            info = check_replacement(certificate, key)
        except CertificateProblem as exc:
            raise IncusError(400, str(exc)) from exc
        entry.parameters["fingerprint"] = info.fingerprint  # never the key
        await client.update_cluster_certificate(certificate.strip() + "\n", key.strip() + "\n")
    client.transport.repin(certificate.strip() + "\n")
    await watcher.refresh_servers()
    return info


async def cancel_operation(
    client: IncusClient, watcher: Watcher, audit: AuditLog, who: Actor, operation_id: str
) -> None:
    """Ask Incus to cancel; the outcome arrives as an operation event, like any other."""
    async with audit.action(who, "cancel-operation", operation_id):
        await client.cancel_operation(operation_id)
    watcher.wake()
