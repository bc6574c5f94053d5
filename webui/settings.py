"""The one Settings object, read once at startup from flags, `INCUS_WEBUI_*` variables
and an optional TOML file (`--config`, or `INCUS_WEBUI_CONFIG`)."""

import os
import socket
import ssl
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource
from sqlalchemy import Engine

from webui.audit.keys import Checkpoints, checkpoint_path, load_key
from webui.audit.log import AuditLog, as_dict
from webui.audit.syslog import SyslogForwarder
from webui.auth.roles import ROLES
from webui.db import default_key_path
from webui.incus import names
from webui.incus.remotes import config_dir, default_socket, load_remote, server_remotes
from webui.incus.transport import Connection

CLUSTER_NAME_MAX = 50  # the database keeps cluster names in 50 characters


def cluster_name(value: str) -> str:
    """A cluster's name: Incus's rule for the names of its objects, at most CLUSTER_NAME_MAX."""
    if len(value) > CLUSTER_NAME_MAX:
        raise ValueError(f"a cluster's name has at most {CLUSTER_NAME_MAX} characters")
    try:
        return names.api_name(value)
    except names.InvalidName as exc:
        raise ValueError(f"cluster name {value[:80]!r}: {exc}") from None


def reach(
    remote: str | None, incus_conf: Path | None, addresses: list[str], socket: Path | None,
    client_cert: Path | None, client_key: Path | None, server_cert: Path | None,
) -> Connection:
    """Where one Incus is, first match wins: a CLI remote, addresses, a socket, the local
    socket; ValueError with a sentence an admin can act on when nowhere."""
    if remote:
        return load_remote(remote, incus_conf or config_dir())
    if addresses:
        return Connection(addresses=addresses, client_cert=client_cert, client_key=client_key, server_cert=server_cert)
    socket = socket or default_socket()
    if socket is None:
        raise ValueError(
            "no Incus to talk to: no local socket at /var/lib/incus/unix.socket; "
            "use --remote NAME, or set INCUS_WEBUI_ADDRESSES with certificates"
        )
    return Connection(socket=socket)


def http_url(value: str, wanted: str) -> str:
    """`value` if empty or an http(s) URL with a host and no query or fragment; else ValueError
    saying what is `wanted`."""
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment):
        raise ValueError(f"{wanted}, not {value!r}")
    return value


class ClusterConfig(BaseModel):
    """One of the TOML's `[[clusters]]`: its name, and how to reach it, as for one cluster."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, AfterValidator(cluster_name)]
    remote: str | None = None
    addresses: list[str] = []
    socket: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    server_cert: Path | None = None

    def connection(self, incus_conf: Path | None) -> Connection:
        return reach(
            self.remote, incus_conf, self.addresses, self.socket, self.client_cert, self.client_key, self.server_cert
        )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INCUS_WEBUI_", extra="forbid")

    host: str = "127.0.0.1"
    port: int = 8000
    # Where browsers reach the dashboard ("https://dash.example.com", a proxy's address), for
    # the URLs it hands out (a display's); unset: the address it serves on. Never taken from
    # a request's Host header, which whoever sends the request chooses.
    public_url: str = ""
    # Host names the dashboard answers to, besides addresses, localhost, `host` and
    # public_url's: "dash.example.com", ".example.com" (and its subdomains), "*" (any). Empty:
    # this machine's own names too. Any other Host is refused with 400 (DNS rebinding).
    allowed_hosts: list[str] = []
    # How to reach Incus, first match wins: a CLI remote, addresses, a socket, the local socket.
    remote: str | None = None
    incus_conf: Path | None = None  # the incus CLI's configuration folder for `remote`
    addresses: list[str] = []
    socket: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    server_cert: Path | None = None
    # The name the cluster is shown and kept under in the database (its history, maintenance
    # runs, pinned certificate...): default the remote's, else "local" for a socket, else
    # "default". Naming it keeps its records its own when the way to reach it changes.
    cluster_name: str = ""
    # Several clusters (and standalone servers) in one dashboard: `[[clusters]]` tables, or
    # every remote of the incus CLI that is an Incus server (image servers skipped). The first
    # one is what the single-cluster URLs (/members/…, /api/v1/…) mean.
    clusters: list[ClusterConfig] = []
    all_remotes: bool = False
    database_url: str = "sqlite:///incus-webui.db"
    # The watcher's resync: member list and instances every poll_interval seconds (a member
    # going offline emits no event), member state (uptime, load, memory) every state_interval.
    poll_interval: float = 3.0
    state_interval: float = 10.0
    # Members whose page is open are asked for their state every state_interval; the others
    # take turns, state_budget a round (a large cluster costs Incus no more than this many).
    state_budget: int = 16
    # SSE: per-client queue bound in changes (a client that falls this far behind is dropped),
    # heartbeat so idle proxies keep the stream open, and how long a send may block (looked
    # at every heartbeat).
    queue_size: int = 64
    heartbeat: float = 15.0
    send_timeout: float = 30.0
    # What "just ended" means: the operations strip on every page, and a member page's
    # maintenance block, show what ended this many seconds ago at most (older: the
    # Operations and Maintenance pages).
    recent_seconds: float = 60.0
    # Server processes sharing the port (SO_REUSEPORT: the kernel spreads connections), for
    # more open streams than one core can feed. Each runs its own watcher unless the
    # database elects one (PostgreSQL), so Incus sees `workers` readers with SQLite.
    workers: int = 1
    # Open streams one identity (a user, a token, a display) may hold at once, over all tabs.
    max_streams_per_identity: int = 50
    # Open streams in all, whoever holds them (0: no limit): a process's memory has an end.
    max_streams: int = 10000
    # /metrics: served to clients from these networks (the client's address, honouring
    # forwarded_allow_ips), or to any that sends `Authorization: Bearer <metrics_token>`.
    metrics_allow: list[str] = ["127.0.0.1", "::1"]
    metrics_token: str = ""
    # Sessions end after session_hours, or after session_idle_minutes without a request.
    session_hours: float = 12.0
    session_idle_minutes: float = 120.0
    # Logins refused for login_lockout_minutes after this many failures for one user name
    # from one address, or from one address for any names (higher: many people may share a
    # proxy's address). Failures from elsewhere never lock a name out.
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_lockout_minutes: float = 15.0
    secure_cookies: bool = False  # also set by itself when a request comes over HTTPS
    # HTTPS without a proxy: a PEM certificate (chain) and its key. Cookies are then Secure
    # and replies carry HSTS.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
    # networks); from anywhere else those headers are ignored. Empty: none, the socket's peer
    # is the client. The audit log keeps both the peer and the forwarded address.
    forwarded_allow_ips: list[str] = []
    # The audit log's HMAC key (created by `incus-webui db upgrade`; default: beside an SQLite
    # file, else ./incus-webui-audit.key), its checkpoints of the chain's head (default: the key's
    # path + ".checkpoints"), written every audit_checkpoint_every records, and an optional
    # syslog copy of every record (RFC 5424): "udp://host:514", "tcp://host:601" or "/dev/log".
    audit_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_every: int = 1
    audit_syslog: str = ""
    # The site's own secret configuration keys, beside the ones the dashboard knows
    # (webui/services/configuration/secrets.py): names or patterns, e.g. ["user.vault_*"], any case.
    secret_keys: list[str] = []
    # Single sign-on through a trusted reverse proxy: off unless sso_user_header is set.
    sso_user_header: str | None = None  # e.g. X-Remote-User
    sso_groups_header: str = "X-Remote-Groups"  # comma-separated groups
    sso_roles: dict[str, str | dict[str, str]] = {}  # group -> role, or {cluster -> role}: as oidc_roles
    sso_trusted_proxies: list[str] = []  # addresses or networks allowed to send those headers
    # OpenID Connect sign-in (off unless oidc_issuer is set; README "Signing in with OpenID
    # Connect"). Register {public_url}/auth/oidc/callback as the redirect URI at the provider.
    oidc_issuer: str = ""  # e.g. https://id.example.com/realms/ops (discovery: + /.well-known/...)
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")  # or, out of the settings file: oidc_client_secret_file
    oidc_client_secret_file: Path | None = None
    oidc_scopes: str = "openid profile email"
    oidc_groups_claim: str = "groups"  # the ID token's claim that lists the user's groups
    # Group -> role, or group -> {cluster name -> role}: {"incus-admins": "admin",
    # "staging-ops": {"staging": "operator"}}. The most powerful role granted wins; no role, no entry.
    oidc_roles: dict[str, str | dict[str, str]] = {}
    oidc_provider_name: str = "single sign-on"  # the login button says "Sign in with <this>"
    oidc_only: bool = False  # hide the password form; only break-glass accounts may use it
    oidc_refresh: float = 15.0  # minutes between checks of a signed-in user's groups
    # Local admins must give a second factor (TOTP) at login; one without enrols at the next.
    local_admin_totp: bool = False
    # Fencing a healed member (Incus's docs: cut its power through its BMC or PDU): a command
    # run as `healed_hook MEMBER` with the event JSON on stdin, and a URL the event JSON is
    # POSTed to, retried with backoff. One dashboard process fires them per event.
    healed_hook: str = ""
    healed_hook_timeout: float = 30.0
    healed_webhook: str = ""
    # The wall display (/noc). Kiosk tabs leak: it reloads itself every noc_reload_hours, or
    # sooner once its JavaScript heap passes noc_memory_budget_mb (where the browser tells:
    # Chromium's performance.memory); 0 turns either off. noc_rotate_seconds > 0 alternates
    # the wall and the maintenance view. noc_sounds: the severities that may sound a tone,
    # once someone enables sound on the display with one click.
    noc_reload_hours: float = 24.0
    noc_memory_budget_mb: float = 300.0
    noc_rotate_seconds: float = 0.0
    noc_sounds: list[str] = ["critical", "warning"]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        config_file = os.environ.get("INCUS_WEBUI_CONFIG")
        if config_file:
            sources += (TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)),)
        return sources

    @classmethod
    def load(cls, config_file: Path | None = None, **overrides: Any) -> "Settings":
        """Settings from flags (overrides) over environment over the config file."""
        if config_file is not None:
            os.environ["INCUS_WEBUI_CONFIG"] = str(config_file)
        return cls(**{k: v for k, v in overrides.items() if v is not None})

    @field_validator("cluster_name")
    @classmethod
    def _cluster_name(cls, value: str) -> str:
        return cluster_name(value) if value else value

    @field_validator("clusters")
    @classmethod
    def _distinct(cls, value: list[ClusterConfig]) -> list[ClusterConfig]:
        seen = [cluster.name for cluster in value]
        if twice := sorted({name for name in seen if seen.count(name) > 1}):
            raise ValueError(f"clusters: each name once ({', '.join(twice)} more than once)")
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        return http_url(value, "public_url: an http(s) URL with a host, such as https://dash.example.com").rstrip("/")

    @field_validator("oidc_roles", "sso_roles")
    @classmethod
    def _known_roles(
        cls, value: dict[str, str | dict[str, str]], info: ValidationInfo
    ) -> dict[str, str | dict[str, str]]:
        for group, granted in value.items():
            for role in granted.values() if isinstance(granted, dict) else [granted]:
                if role not in ROLES:
                    raise ValueError(
                        f"{info.field_name}: group {group!r} maps to {role!r}, not one of {', '.join(ROLES)}"
                    )
        return value

    @field_validator("oidc_issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        # As the provider spells it, a trailing / too (Authentik's has one): tokens must match it.
        return http_url(value, "oidc_issuer: the provider's issuer URL, such as https://id.example.com")

    def oidc_secret(self) -> str:
        """The client secret, from oidc_client_secret_file when set (ValueError if unreadable)."""
        if self.oidc_client_secret_file is None:
            return self.oidc_client_secret.get_secret_value()
        try:
            return self.oidc_client_secret_file.read_text().strip()
        except OSError as exc:
            problem = f"cannot read {self.oidc_client_secret_file}: {exc.strerror}"
            raise ValueError(f"oidc_client_secret_file: {problem}") from exc

    def dashboard_url(self, served: tuple[str, int] | None = None, scheme: str = "") -> str:
        """Where browsers reach the dashboard, for the URLs it hands out: public_url, else the
        address it serves on (`served`: the socket a request came in on; else host and port)."""
        if self.public_url:
            return self.public_url
        host, port = served or (self.host, self.port)
        if host in ("", "0.0.0.0", "::"):  # every address: the machine's name is one of them
            host = socket.getfqdn()
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme or ('https' if self.tls_cert else 'http')}://{host}:{port}"

    def tls_problem(self) -> str | None:
        """Why tls_cert and tls_key cannot serve HTTPS, in a sentence; None when they can
        (or when both are unset: plain HTTP)."""
        if not self.tls_cert and not self.tls_key:
            return None
        if not (self.tls_cert and self.tls_key):
            return "tls_cert and tls_key go together: give both (--tls-cert FILE --tls-key FILE)"
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(self.tls_cert, self.tls_key)
        except ssl.SSLError as exc:  # before OSError, its base class
            if exc.reason == "KEY_VALUES_MISMATCH":
                return f"the key {self.tls_key} does not belong to the certificate {self.tls_cert}"
            return f"{self.tls_cert} and {self.tls_key} are not a PEM certificate and key ({exc.reason})"
        except OSError as exc:
            return f"cannot read {exc.filename or self.tls_cert}: {exc.strerror}"
        return None

    def audit_key_path(self) -> Path:
        return self.audit_key_file or default_key_path(self.database_url)

    def audit_checkpoint_path(self) -> Path:
        return self.audit_checkpoint_file or checkpoint_path(self.audit_key_path())

    def audit_log(self, engine: Engine) -> AuditLog:
        """The audit log these settings describe; KeyMissing when its key was never created."""
        key = load_key(self.audit_key_path())
        checkpoints = Checkpoints(self.audit_checkpoint_path(), key, self.audit_key_path())
        audit = AuditLog(engine, key, checkpoints, self.audit_checkpoint_every)
        if self.audit_syslog:
            forwarder = SyslogForwarder(self.audit_syslog)
            audit.on_append.append(lambda record: forwarder.send(record, as_dict(record)))
        return audit

    def cluster(self) -> str:
        """The cluster's name (cluster_name, else from how it is reached)."""
        if self.cluster_name:
            return self.cluster_name
        if self.remote:
            return self.remote
        return "default" if self.addresses else "local"

    def connection(self) -> Connection:
        """Where the one cluster is (without `clusters` and `all_remotes`)."""
        return reach(
            self.remote, self.incus_conf, self.addresses, self.socket, self.client_cert, self.client_key,
            self.server_cert,
        )

    def cluster_names(self) -> list[str]:
        """The names of the clusters to watch, without reaching any (what `user grant` checks)."""
        if self.clusters:
            return [cluster.name for cluster in self.clusters]
        if self.all_remotes:
            return [cluster_name(name) for name in server_remotes(self.incus_conf)]
        return [self.cluster()]

    def watched(self) -> list[tuple[str, Connection]]:
        """Every cluster to watch, by name, the first first; ValueError says what is wrong."""
        if self.clusters:
            return [(cluster.name, cluster.connection(self.incus_conf)) for cluster in self.clusters]
        if self.all_remotes:
            found = server_remotes(self.incus_conf)
            if not found:
                raise ValueError("--all-remotes: the incus CLI's configuration names no Incus server")
            return [(cluster_name(name), load_remote(name, self.incus_conf or config_dir())) for name in found]
        return [(self.cluster(), self.connection())]
