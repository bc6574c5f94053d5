"""Typed views of the Incus objects the dashboard uses (`shared/api/*.go` in Incus)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Model(BaseModel):
    # Incus adds fields over time; keep what we don't know so the JSON API passes it through.
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True, serialize_by_alias=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_default(cls, data: Any) -> Any:
        """Incus sends null for empty maps and lists (an offline member's instances have
        `config: null`): take the field's default instead."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


class Member(_Model):
    """`ClusterMember`: one row of `incus cluster list`."""

    server_name: str
    url: str = ""
    database: bool = False
    status: str = ""
    message: str = ""
    architecture: str = ""
    roles: list[str] = Field(default_factory=list)
    failure_domain: str = ""
    description: str = ""
    config: dict[str, str] = Field(default_factory=dict)
    groups: list[str] = Field(default_factory=list)

    @property
    def is_leader(self) -> bool:
        return "database-leader" in self.roles


class SysInfo(_Model):
    uptime: int = 0
    load_averages: list[float] = Field(default_factory=list)
    total_ram: int = 0
    free_ram: int = 0
    shared_ram: int = 0
    buffered_ram: int = 0
    total_swap: int = 0
    free_swap: int = 0
    processes: int = 0


class Usage(_Model):
    used: int = 0
    total: int = 0


class PoolState(_Model):
    space: Usage = Usage()
    inodes: Usage = Usage()


class MemberState(_Model):
    """`ClusterMemberState`: what `incus cluster info` shows."""

    sysinfo: SysInfo = SysInfo()
    storage_pools: dict[str, PoolState] = Field(default_factory=dict)


class Instance(_Model):
    name: str
    project: str = "default"
    location: str = ""
    status: str = ""
    type: str = "container"
    description: str = ""
    config: dict[str, str] = Field(default_factory=dict)
    expanded_config: dict[str, str] = Field(default_factory=dict)
    expanded_devices: dict[str, dict[str, str]] = Field(default_factory=dict)


# A status of the dashboard's own, never Incus's: an operation that ended while its last event
# was lost, and that Incus had already forgotten when asked (it keeps ended ones seconds).
UNHEARD = "Unknown"


class Operation(_Model):
    id: str
    class_: str = Field("", alias="class")  # task, websocket or token
    description: str = ""
    status: str = ""
    status_code: int = 0
    err: str = ""
    may_cancel: bool = False
    location: str = ""
    metadata: dict[str, Any] | None = None
    resources: dict[str, list[str]] | None = None  # a join token's {"cluster": null} reads as {}
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("resources", mode="before")
    @classmethod
    def _null_resource_lists(cls, value: Any) -> Any:
        """Incus sends `"resources": {"cluster": null}` for some operations: no resources."""
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if v is not None}
        return value

    @property
    def finished(self) -> bool:
        return self.status in ("Success", "Failure", "Cancelled", UNHEARD)

    @property
    def label(self) -> str:
        """What it is, for people: Incus calls every join token "Executing operation"."""
        server_name = (self.metadata or {}).get("serverName") if self.class_ == "token" else None
        return f"Join token for {server_name}" if server_name else self.description

    @property
    def progress(self) -> str:
        """What Incus says it is doing now, in its own words: `evacuation_progress` and the
        `*_progress` strings ("Unpacking image: 86% (29.55MB/s)"). Never the `progress`
        map (percent, speed, stage), which is for bars: see `progress_figures`."""
        meta = self.metadata or {}
        for key in ("evacuation_progress", "fs_progress", "create_instance_from_image_unpack_progress"):
            value = meta.get(key)
            if isinstance(value, str) and value:
                return value
        return next((v for k, v in sorted(meta.items()) if k.endswith("_progress") and isinstance(v, str) and v), "")

    @property
    def progress_figures(self) -> dict[str, str]:
        """Incus's `progress` map (`percent`, `speed` in bytes/s, `stage`), as strings; {} if none."""
        progress = (self.metadata or {}).get("progress")
        return {str(k): str(v) for k, v in progress.items()} if isinstance(progress, dict) else {}


class Server(_Model):
    """`GET /1.0` of one member: its configuration (global keys and its own local ones), its
    version and API extensions, and the certificate it serves (the cluster's)."""

    config: dict[str, Any] = Field(default_factory=dict)
    api_extensions: list[str] = Field(default_factory=list)
    environment: dict[str, Any] = Field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.environment.get("server_version", ""))

    @property
    def certificate(self) -> str:
        return str(self.environment.get("certificate", ""))


class ClusterGroup(_Model):
    """`ClusterGroup`: one row of `incus cluster group list`."""

    name: str
    description: str = ""
    members: list[str] = Field(default_factory=list)
    # `config` (clustering_groups_config) and `used_by` come with newer API extensions: passed
    # through as Incus sends them, and never added where it does not.

    @property
    def configuration(self) -> dict[str, str]:
        """The group's `config`, {} where Incus has none."""
        config = (self.model_extra or {}).get("config")
        return {str(k): str(v) for k, v in config.items()} if isinstance(config, dict) else {}


class ConfigKey(_Model):
    """One key of `GET /1.0/metadata/configuration`, as Incus describes it."""

    name: str
    group: str = ""  # acme, cluster, core...: how Incus files it
    scope: str = "global"  # "global" (cluster database) or "local" (one member); unset means global
    type: str = "string"  # string, bool or integer
    default: str = ""  # Incus's words, e.g. "`3H`", "no expiry"
    shortdesc: str = ""
    longdesc: str = ""


class ConfigMetadata(_Model):
    """The server keys and the cluster member keys Incus documents, for one server version."""

    version: str = ""
    server: tuple[ConfigKey, ...] = ()
    member: tuple[ConfigKey, ...] = ()

    @classmethod
    def from_incus(cls, version: str, data: dict[str, Any]) -> "ConfigMetadata":
        configs = data.get("configs") or {}

        def keys(entity: str) -> tuple[ConfigKey, ...]:
            found = []
            for group, section in (configs.get(entity) or {}).items():
                for entry in section.get("keys") or []:
                    for name, meta in entry.items():
                        found.append(
                            ConfigKey(
                                name=name,
                                group=group,
                                scope=meta.get("scope") or "global",
                                type=meta.get("type") or "string",
                                default=meta.get("defaultdesc") or "",
                                shortdesc=meta.get("shortdesc") or "",
                                longdesc=meta.get("longdesc") or "",
                            )
                        )
            return tuple(found)

        return cls(version=version, server=keys("server"), member=keys("cluster"))


class Requestor(_Model):
    """Who asked Incus (a lifecycle event's `requestor`): see webui/services/accounts/people.py."""

    username: str = ""
    protocol: str = ""
    address: str = ""


class Certificate(_Model):
    """An entry of the trust store (`incus config trust list`): the PEM is not kept."""

    fingerprint: str
    name: str = ""
    type: str = ""  # client, server (a member's), metrics
    description: str = ""
    restricted: bool = False
    certificate: str = Field("", exclude=True, repr=False)


class Event(_Model):
    """An item of `/1.0/events`; `metadata` is a lifecycle record or an Operation."""

    type: str
    timestamp: datetime | None = None
    location: str = ""
    project: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def action(self) -> str:
        return str(self.metadata.get("action", "")) if self.type == "lifecycle" else ""


class IncusWarning(_Model):
    """`Warning` (`incus warning list`): what Incus found wrong, once per type, member,
    project and entity, counted each time it is seen again."""

    uuid: str
    location: str = ""  # the member that raised it; "" for a cluster-wide one
    project: str = ""
    type: str = ""
    count: int = 0
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    last_message: str = ""
    severity: str = ""  # low, moderate, high
    entity_url: str = ""
    status: str = ""  # new, acknowledged, resolved
