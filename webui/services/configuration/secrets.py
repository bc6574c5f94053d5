"""What is secret, and what each role may read of Incus's objects: credentials stay with admins.

The one place that decides secrecy (`Secrets.is_secret`); pages, `/api/v1`, the streams and
the audit log all ask it. A key is secret when

- Incus documents it as holding a credential (CREDENTIALS: read from the server
  configuration metadata of 6.0.4, 6.0.6, 7.0.0, 7.0.1 and Incus's main branch,
  `internal/server/metadata/configuration.json`, by each key's description: a password, a
  token, a private key, an HMAC key, DNS provider credentials, a proxy URL with its login);
- it is a user key (`user.*`) whose name says credential (WORDS, in any case);
- the site says so (the `secret_keys` setting: names or patterns like `user.vault_*`);
- or, for a key newer than that list, its last part says password, secret, token or key.

Operation metadata is cut to what the pages show (progress, and a join token's name and
expiry) for everyone but admins; admins see the rest but never an `environment` value (an
`incus exec --env` brings passwords)."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from webui.auth.roles import can
from webui.incus.models import Member, Operation, Server

HIDDEN = "(hidden)"  # what a reader is shown instead of a secret's value
CHANGED = "(changed)"  # what the audit log records instead of a secret's new value
UNCHANGED = "(unchanged)"  # a secret sent back as it was (a member's PUT sends every key)

# Incus server keys documented as credentials (patterns: `logging.NAME.target.password`).
CREDENTIALS = frozenset({
    "acme.eab.hmac",  # "HMAC key for External Account Binding" (main, after 7.0)
    "acme.provider.environment",  # DNS-01 provider variables: the provider's API token
    "authorization.openfga.api.token",  # openfga.api.token, renamed after 7.0
    "core.proxy_http",  # a proxy URL may carry its login: http://user:password@proxy
    "core.proxy_https",
    "instances.tpm.platform_key",  # "Private key for the TPM platform CA certificate" (7.0.1)
    "logging.*.target.password",  # "Password used for authentication" (6.0.5)
    "loki.auth.password",
    "network.ovn.client_key",  # "OVN SSL client key"
    "oidc.client.secret",  # not in 6.0 or 7.0; an Incus that has it holds a secret there
    "openfga.api.token",
    "storage.linstor.client_key",  # "LINSTOR SSL client key" (7.0)
})
WORDS = ("pass", "secret", "token", "key", "credential", "auth")
_NAMED_SECRET = re.compile(r"(^|[._-])(password|secret|token|key)$")

# What the pages read of an operation's metadata: its progress (`progress`, `*_progress`),
# a join token's server name and expiry. Nothing else reaches a non-admin.
_SHOWN_METADATA = ("progress", "serverName", "expiresAt")


def sees_secrets(role: str) -> bool:
    return can(role, "admin")


@dataclass(frozen=True)
class Secrets:
    """The rule, with the site's own `secret_keys` (built once, from the settings)."""

    site: tuple[str, ...] = ()

    @classmethod
    def of(cls, site: Iterable[str]) -> "Secrets":
        return cls(tuple(pattern.strip().lower() for pattern in site if pattern.strip()))

    def is_secret(self, name: str) -> bool:
        key = name.lower()
        if any(fnmatchcase(key, pattern) for pattern in (*CREDENTIALS, *self.site)):
            return True
        if key.startswith("user."):
            return any(word in key[5:] for word in WORDS)
        return bool(_NAMED_SECRET.search(key))

    def redact(self, config: Mapping[str, object]) -> dict[str, object]:
        """The configuration with every secret's value replaced (set ones only: unset stays unset)."""
        return {k: HIDDEN if self.is_secret(k) and v not in ("", None) else v for k, v in config.items()}

    def recorded(self, config: Mapping[str, Any], before: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The configuration as the audit log keeps it: a secret's value never, only that it
        was set (CHANGED), unset (""), or, given the values `before`, sent back as it was."""
        return {k: self._recorded(k, v, before) for k, v in config.items()}

    def _recorded(self, name: str, value: Any, before: Mapping[str, Any] | None) -> Any:
        if not self.is_secret(name) or value in ("", None):
            return value
        return UNCHANGED if before is not None and before.get(name) == value else CHANGED

    def scrubbed(self, parameters: Any) -> tuple[Any, bool]:
        """Audit parameters as written before this rule, with every secret's value replaced
        by CHANGED at any depth (a member's `config`); and whether anything was."""
        if isinstance(parameters, dict):
            out, changed = {}, False
            for k, v in parameters.items():
                if self.is_secret(str(k)) and isinstance(v, str) and v not in ("", HIDDEN, CHANGED, UNCHANGED):
                    out[k], changed = CHANGED, True
                else:
                    out[k], inner = self.scrubbed(v)
                    changed = changed or inner
            return out, changed
        if isinstance(parameters, list):
            items = [self.scrubbed(v) for v in parameters]
            return [v for v, _ in items], any(c for _, c in items)
        return parameters, False

    def server_for(self, role: str, server: Server) -> Server:
        return server if sees_secrets(role) else server.model_copy(update={"config": self.redact(server.config)})

    def member_for(self, role: str, member: Member) -> Member:
        return member if sees_secrets(role) else member.model_copy(update={"config": self.redact(member.config)})


def operation_for(role: str, operation: Operation) -> Operation:
    """The operation as `role` may read it: for an admin, `environment` values masked; for
    the others, only the metadata the pages show (no command, environment, websocket `fds`
    secrets, or join token secret)."""
    metadata = operation.metadata
    if not metadata:
        return operation
    if sees_secrets(role):
        environment = metadata.get("environment")
        if not isinstance(environment, dict) or not environment:
            return operation
        masked = {k: HIDDEN for k in environment}
        return operation.model_copy(update={"metadata": {**metadata, "environment": masked}})
    shown = {k: v for k, v in metadata.items() if k in _SHOWN_METADATA or k.endswith("_progress")}
    return operation.model_copy(update={"metadata": shown})
