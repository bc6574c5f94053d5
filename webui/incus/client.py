"""IncusClient: one typed method per Incus endpoint the dashboard uses."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any, Generic, TypeVar

import httpx
import websockets
from pydantic import BaseModel, ValidationError
from websockets.asyncio.client import ClientConnection

from webui.incus.errors import IncusError, IncusUnreachable
from webui.incus.features import CLUSTERING_GROUPS_CONFIG, Features
from webui.incus.models import (
    Certificate,
    ClusterGroup,
    ConfigMetadata,
    Event,
    IncusWarning,
    Instance,
    Member,
    MemberState,
    Operation,
    Server,
    SysInfo,
)
from webui.incus.names import path
from webui.incus.transport import Connection, Transport

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def parse_one(model: type[M], item: Any) -> M | None:
    """One item of a list reply, or None (logged) if Incus shaped it oddly."""
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        # Its id or name only: the item itself may hold a secret (a join token's).
        name = item.get("id") or item.get("name") or item.get("server_name") if isinstance(item, dict) else None
        log.warning("skipping a %s Incus sent that does not parse (%s): %s", model.__name__, name, exc)
        return None


def parse_each(model: type[M], items: Iterable[Any]) -> list[M]:
    """Validate a list reply item by item: one item Incus shapes oddly is logged and left
    out, instead of failing the whole list (and with it the watcher's loop)."""
    return [parsed for item in items if (parsed := parse_one(model, item)) is not None]


class Reparse(Generic[M]):
    """`parse_each` for a list asked every resync (the members, the instances): an item equal
    to the one in its place in the last reply keeps the model made of it then. At 1,000
    members, validating every item again was most of a resync's parsing; and the snapshot's
    diff finds an unchanged member the same object, without comparing its fields."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._last: list[tuple[Any, M | None]] = []

    def __call__(self, items: list[Any]) -> list[M]:
        last = self._last
        self._last = [
            last[i] if i < len(last) and last[i][0] == item else (item, parse_one(self.model, item))
            for i, item in enumerate(items)
        ]
        return [parsed for _, parsed in self._last if parsed is not None]


def _raise_for_error(response: httpx.Response) -> dict[str, Any]:
    """Return the reply's envelope, or raise IncusError with Incus's own message."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise IncusError(response.status_code, response.text.strip() or response.reason_phrase)
    if body.get("type") == "error" or response.status_code >= 400:
        raise IncusError(
            response.status_code,
            str(body.get("error") or response.reason_phrase),
            body.get("error_code"),
        )
    return body



def standalone_member(environment: dict[str, Any], endpoint: str) -> Member:
    """A server that is not clustered, as the one member of its own "cluster"."""
    return Member(
        server_name=str(environment.get("server_name", "")),
        url=endpoint,
        status="Online",
        message="Fully operational",
        architecture=str(environment.get("kernel_architecture", "")),
    )

class IncusClient:
    def __init__(self, connection: Connection) -> None:
        self.transport = Transport(connection)
        self._members = Reparse(Member)
        self._instances = Reparse(Instance)
        # A server that is not clustered: its one "member" is asked without `?target=`, and
        # its state comes from its resources (it has no cluster member state).
        self.standalone = False

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return the reply's `metadata`."""
        response = await self.transport.request(method, path, **kwargs)
        return _raise_for_error(response).get("metadata")

    async def server(self) -> dict[str, Any]:
        """`GET /1.0`: the member answering, its version and the API extensions."""
        return dict(await self.request("GET", "/1.0"))

    async def server_of(self, name: str, timeout: float | None = None) -> Server:
        """`GET /1.0?target=NAME`: that member's version, API extensions and local keys. A
        frozen member only times out, and must not move us elsewhere: no failover."""
        data = await self.request("GET", "/1.0", params=self._target(name), timeout=timeout, failover=False)
        return Server.model_validate(data)

    def _target(self, name: str) -> dict[str, str] | None:
        return None if self.standalone else {"target": name}

    async def update_server(self, changes: dict[str, str], target: str = "") -> None:
        """Change the keys given ("" unsets one), the others stay; local keys need `target`.

        Done as `incus config set` does it: GET `/1.0`, then PUT the whole configuration back
        with its ETag. Not with PATCH: on Incus 6.0.4 a PATCH that Incus refuses (an unknown
        key, a bad value) wipes the member's local keys, its cluster address among them, and
        the member stops heartbeating. A refused PUT leaves everything as it was."""
        params = {"target": target} if target else None
        response = await self.transport.request("GET", "/1.0", params=params)
        config = dict((_raise_for_error(response).get("metadata") or {}).get("config") or {})
        for key, value in changes.items():
            if value == "":
                config.pop(key, None)
            else:
                config[key] = value
        etag = response.headers.get("ETag", "")
        headers = {"If-Match": etag} if etag else None
        await self.request("PUT", "/1.0", params=params, json={"config": config}, headers=headers)

    async def config_metadata(self, version: str) -> ConfigMetadata:
        """`GET /1.0/metadata/configuration`: every key Incus knows, with scope, type and default."""
        return ConfigMetadata.from_incus(version, await self.request("GET", "/1.0/metadata/configuration"))

    async def update_cluster_certificate(self, certificate: str, key: str) -> None:
        """`PUT /1.0/cluster/certificate`: Incus pushes it to every member."""
        body = {"cluster_certificate": certificate, "cluster_certificate_key": key}
        await self.request("PUT", "/1.0/cluster/certificate", json=body)

    async def certificates(self) -> list[Certificate]:
        """`incus config trust list`: the trust store, whose names say who a fingerprint is."""
        data = await self.request("GET", path("certificates"), params={"recursion": "1"})
        return parse_each(Certificate, data or [])

    async def warnings(self) -> list[IncusWarning]:
        """`incus warning list`: every member's and project's warnings, resolved ones included."""
        return parse_each(IncusWarning, await self.request("GET", "/1.0/warnings", params={"recursion": "1"}) or [])

    async def warning(self, uuid: str) -> IncusWarning:
        return IncusWarning.model_validate(await self.request("GET", path("warnings", uuid)))

    async def set_warning_status(self, uuid: str, status: str) -> None:
        """`incus warning ack UUID` (acknowledged) or back to new; Incus refuses any other."""
        await self.request("PUT", path("warnings", uuid), json={"status": status})

    async def delete_warning(self, uuid: str) -> None:
        await self.request("DELETE", path("warnings", uuid))

    async def cancel_operation(self, operation_id: str) -> None:
        await self.request("DELETE", path("operations", operation_id))

    async def members(self) -> list[Member]:
        """`incus cluster list`; for a server that is not clustered (Incus refuses the list),
        that one server, as `incus list` names it, online since it answered."""
        try:
            data = await self.request("GET", "/1.0/cluster/members", params={"recursion": "1"})
        except IncusUnreachable:
            raise
        except IncusError:
            environment = (await self.server()).get("environment") or {}
            if environment.get("server_clustered", True):
                raise
            self.standalone = True
            return [standalone_member(environment, self.transport.current)]
        self.standalone = False
        members = self._members(data or [])
        self.transport.learn(m.url for m in members)
        return members

    async def member(self, name: str) -> Member:
        return Member.model_validate(await self.request("GET", path("cluster", "members", name)))

    async def member_with_etag(self, name: str) -> tuple[Member, str]:
        """The member and its ETag, for a PUT that must not overwrite someone else's change."""
        response = await self.transport.request("GET", path("cluster", "members", name))
        member = Member.model_validate(_raise_for_error(response).get("metadata"))
        return member, response.headers.get("ETag", "")

    async def rename_member(self, name: str, new_name: str) -> None:
        """`incus cluster rename`: forwarded by Incus to that member."""
        await self.request("POST", path("cluster", "members", name), json={"server_name": new_name})

    async def create_join_token(self, name: str) -> Operation:
        """`incus cluster add NAME`: a token operation whose metadata holds the secret."""
        data = await self.request("POST", "/1.0/cluster/members", json={"server_name": name})
        return Operation.model_validate(data)

    async def groups(self, features: Features | None = None) -> list[ClusterGroup]:
        """`incus cluster group list`. Incus's recursive list leaves each group's `config` out
        (7.0): where groups have one (clustering_groups_config), each is asked for itself."""
        data = await self.request("GET", "/1.0/cluster/groups", params={"recursion": "1"}) or []
        if features is not None and features.has(CLUSTERING_GROUPS_CONFIG):
            return list(await asyncio.gather(*(self.group(str(g.get("name", ""))) for g in data)))
        return [ClusterGroup.model_validate(g) for g in data]

    async def group(self, name: str) -> ClusterGroup:
        """`incus cluster group show`: with its `config` where Incus has one."""
        return ClusterGroup.model_validate(await self.request("GET", path("cluster", "groups", name)))

    async def create_group(self, body: dict[str, Any]) -> None:
        await self.request("POST", "/1.0/cluster/groups", json=body)

    async def update_group(self, name: str, body: dict[str, Any]) -> None:
        """PUT, without If-Match: Incus 6.0.4 checks a group's ETag against another hash than
        the one GET sends, so any If-Match gets 412."""
        await self.request("PUT", path("cluster", "groups", name), json=body)

    async def rename_group(self, name: str, new_name: str) -> None:
        await self.request("POST", path("cluster", "groups", name), json={"name": new_name})

    async def delete_group(self, name: str) -> None:
        await self.request("DELETE", path("cluster", "groups", name))

    async def update_member(self, name: str, body: dict[str, Any], etag: str = "") -> None:
        """PUT the whole member: Incus's PATCH is a PUT in disguise (empty groups or a missing
        `database` role are refused, an omitted description is cleared)."""
        headers = {"If-Match": etag} if etag else None
        await self.request("PUT", path("cluster", "members", name), json=body, headers=headers)

    async def change_member_state(self, name: str, action: str, mode: str = "") -> Operation:
        """Evacuate or restore: a long operation, answered at once with 202."""
        body = {"action": action, "mode": mode} if mode else {"action": action}
        data = await self.request("POST", path("cluster", "members", name, "state"), json=body)
        return Operation.model_validate(data)

    async def remove_member(self, name: str, force: bool = False) -> None:
        """Synchronous and slow on Incus's side (it is redirected to the leader)."""
        params = {"force": "1"} if force else None
        await self.request("DELETE", path("cluster", "members", name), params=params, timeout=120)

    async def operation(self, operation_id: str) -> Operation:
        return Operation.model_validate(await self.request("GET", path("operations", operation_id)))

    async def member_state(self, name: str, timeout: float | None = None) -> MemberState:
        if self.standalone:  # its memory, from its resources (no load averages there)
            memory = (await self.request("GET", "/1.0/resources", timeout=timeout)).get("memory") or {}
            total = int(memory.get("total", 0))
            return MemberState(sysinfo=SysInfo(total_ram=total, free_ram=total - int(memory.get("used", 0))))
        data = await self.request(
            "GET", path("cluster", "members", name, "state"), timeout=timeout, failover=False
        )
        return MemberState.model_validate(data)

    async def member_cpus(self, name: str, timeout: float | None = None) -> int:
        """Logical CPUs of a member, as `incus cluster info` shows them (from its resources)."""
        data = await self.member_resources(name, timeout)
        return int((data.get("cpu") or {}).get("total", 0))

    async def storage_pool_on(self, pool: str, member: str) -> dict[str, Any]:
        """A pool as one member has it: its `source` and other member-specific keys (the list
        leaves them out in a cluster)."""
        return dict(await self.request("GET", path("storage-pools", pool), params=self._target(member)) or {})

    async def member_resources(self, name: str, timeout: float | None = None) -> dict[str, Any]:
        """`incus info --resources --target NAME`: the member's hardware, memory use and load."""
        data = await self.request("GET", "/1.0/resources", params=self._target(name), timeout=timeout, failover=False)
        return dict(data or {})

    async def instances(self, timeout: float | None = None) -> list[Instance]:
        """Every instance with its location and state. Incus asks each member for the state
        of its instances, so a frozen member slows this down: no failover on a timeout."""
        data = await self.request(
            "GET",
            "/1.0/instances",
            params={"recursion": "1", "all-projects": "true"},
            timeout=timeout,
            failover=False,
        )
        return self._instances(data or [])

    async def instance(self, name: str, project: str = "default", timeout: float | None = None) -> Instance:
        """One instance with its location and status (Incus asks the member it runs on)."""
        data = await self.request(
            "GET", path("instances", name), params={"project": project}, timeout=timeout, failover=False
        )
        return Instance.model_validate(data)

    async def instance_memory(self, name: str, project: str = "default") -> int:
        """Bytes of memory the instance uses now (its state's `memory.usage`)."""
        data = await self.request("GET", path("instances", name, "state"), params={"project": project})
        return int(((data or {}).get("memory") or {}).get("usage", 0))

    async def storage_pools(self) -> list[dict[str, Any]]:
        """`incus storage list`: each pool's name and driver (among others)."""
        return list(await self.request("GET", "/1.0/storage-pools", params={"recursion": "1"}) or [])

    async def operations(self) -> list[Operation]:
        data = await self.request(
            "GET", "/1.0/operations", params={"recursion": "1", "all-projects": "true"}
        )
        return parse_each(Operation, (op for ops in (data or {}).values() for op in ops or []))

    @asynccontextmanager
    async def events(self, types: str = "lifecycle,operation") -> AsyncIterator[AsyncIterator[Event]]:
        """Subscribe to `/1.0/events` of the whole cluster (every member relays the others').

        A context manager, so the caller can catch up (list operations) once subscribed,
        without missing what happens in between."""
        ws = await self.transport.websocket(f"/1.0/events?type={types}&all-projects=true")
        try:
            yield self._read_events(ws)
        finally:
            await ws.close()

    @staticmethod
    async def _read_events(ws: ClientConnection) -> AsyncIterator[Event]:
        try:
            async for message in ws:
                yield Event.model_validate(json.loads(message))
        except websockets.ConnectionClosed as exc:
            raise IncusUnreachable(f"event stream closed: {exc}") from exc

    async def aclose(self) -> None:
        await self.transport.aclose()
