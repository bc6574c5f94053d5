"""Cluster-wide changes: the server configuration and the cluster certificate. Checked here,
sent to Incus, then read back at once (the pages show the outcome without waiting for the
watcher's slow round)."""

from typing import Any

from webui.identity import Actor
from webui.incus import names
from webui.services.configuration.certificates import CertificateInfo, CertificateProblem, check_replacement
from webui.services.configuration.keys import invalid_config
from webui.services.configuration.pinning import trust
from webui.services.context import Context
from webui.services.errors import Refused, valid_name


class ConfigRefused(Refused):
    """Values refused before Incus sees them; `problems` by key, for the form."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(400, "; ".join(f"{key}: {problem}" for key, problem in problems.items()))
        self.problems = problems


async def update_config(ctx: Context, who: Actor, changes: dict[str, Any], target: str = "") -> None:
    """PATCH the configuration (one member's local keys with `target`); an empty value unsets."""
    values = {k: "" if v is None else str(v) for k, v in changes.items()}
    # A secret's new value never reaches the audit log: only that it changed (or was unset).
    async with ctx.audit.action(who, "configure", target or "cluster", ctx.secrets.recorded(values)):
        if target:
            valid_name(names.api_name, target, "cluster member name")
        if problems := invalid_config(ctx.hub.snapshot.metadata, values, target):
            raise ConfigRefused(problems)
        await ctx.client.update_server(values, target)
    await ctx.watcher.refresh_servers()


async def replace_certificate(ctx: Context, who: Actor, certificate: str, key: str) -> CertificateInfo:
    """Send a new cluster certificate once it passes the local checks (a bad one would reach
    every member), then trust it ourselves: every member serves it from now on, and the old
    pin would lock the dashboard out."""
    async with ctx.audit.action(who, "update-certificate", "cluster") as entry:
        try:
            info = check_replacement(certificate, key)
        except CertificateProblem as exc:
            raise Refused(400, str(exc)) from exc
        entry.parameters["fingerprint"] = info.fingerprint  # never the key
        await ctx.client.update_cluster_certificate(certificate.strip() + "\n", key.strip() + "\n")
    await trust(ctx.client, ctx.engine, ctx.cluster, certificate.strip() + "\n")  # for every process
    await ctx.watcher.refresh_servers()
    return info
