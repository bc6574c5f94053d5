"""A member's hardware, as `incus info --resources --target NAME` shows it: from `GET
/1.0/resources?target=NAME` (and each storage pool's `source` on that member, to say which disk
a pool uses).

Hardware changes rarely and the reply is large (every core's flags): it is read once per member
and kept (`HardwareCache`, one per process, in the lifespan's Context), and read again only when
someone presses Refresh. Values stay numbers here; templates put them in units for people.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webui.clock import now
from webui.incus.client import IncusClient
from webui.incus.errors import IncusError

log = logging.getLogger(__name__)


def _list(value: Any) -> list[dict[str, Any]]:
    """A list of objects from Incus, or [] (Incus sends null for an empty one)."""
    return [item for item in value or [] if isinstance(item, dict)]


def _maker(item: dict[str, Any]) -> str:
    """`Vendor (1af4)` as the CLI prints it, or the id alone when Incus has no name."""
    name, ident = str(item.get("vendor") or ""), str(item.get("vendor_id") or "")
    return f"{name} ({ident})" if name and ident else name or ident


def _product(item: dict[str, Any]) -> str:
    name, ident = str(item.get("product") or ""), str(item.get("product_id") or "")
    return f"{name} ({ident})" if name and ident else name or ident


@dataclass(frozen=True)
class Socket:
    socket: int
    name: str  # the model: "AMD EPYC 7543 32-Core Processor"
    vendor: str
    cores: int
    threads: int
    frequency: int  # MHz, 0 when Incus could not read it (a VM)
    frequency_minimum: int
    frequency_turbo: int


@dataclass(frozen=True)
class Port:
    id: str  # the interface: eth0
    protocol: str
    address: str  # its MAC address
    link_detected: bool
    link_speed: int  # Mbit/s, 0 when unknown
    link_duplex: str


@dataclass(frozen=True)
class Nic:
    vendor: str
    product: str
    driver: str
    pci_address: str
    ports: tuple[Port, ...]


@dataclass(frozen=True)
class Disk:
    id: str  # sda, nvme0n1
    device: str  # major:minor
    model: str
    type: str  # sata, nvme, virtio, usb...
    size: int  # bytes
    read_only: bool
    removable: bool
    rpm: int  # 0 for solid state, 1 when unknown (Incus's own convention)
    partitions: tuple[tuple[str, int], ...]  # (id, bytes)
    used_by: tuple[str, ...]  # the storage pools whose source is this disk or one of its partitions

    @property
    def medium(self) -> str:
        """Incus's rpm in words: 0 is not rotational, 1 rotational at a speed it could not read."""
        return "solid state" if self.rpm == 0 else "rotational" if self.rpm == 1 else f"rotational, {self.rpm} rpm"


@dataclass(frozen=True)
class Device:
    """A GPU, a PCI device or a USB device: what it is and where it sits."""

    vendor: str
    product: str
    driver: str
    address: str  # PCI address, or USB bus:device
    detail: str = ""  # a PCI device's IOMMU group, a USB device's speed


@dataclass(frozen=True)
class Hardware:
    member: str
    fetched_at: datetime
    architecture: str = ""
    system: str = ""  # "Dell Inc. PowerEdge R650 (physical)"
    sockets: tuple[Socket, ...] = ()
    logical_cpus: int = 0
    memory_total: int = 0
    memory_used: int = 0
    hugepages_total: int = 0  # bytes
    hugepages_used: int = 0
    hugepage_size: int = 0
    numa_nodes: int = 0
    gpus: tuple[Device, ...] = ()
    nics: tuple[Nic, ...] = ()
    disks: tuple[Disk, ...] = ()
    pci: tuple[Device, ...] = ()
    usb: tuple[Device, ...] = ()

    @property
    def cores(self) -> int:
        return sum(s.cores for s in self.sockets)

    @property
    def threads(self) -> int:
        return sum(s.threads for s in self.sockets)


def _socket(item: dict[str, Any]) -> Socket:
    cores = _list(item.get("cores"))
    frequency = int(item.get("frequency") or 0) or max((int(c.get("frequency") or 0) for c in cores), default=0)
    return Socket(
        socket=int(item.get("socket") or 0),
        name=str(item.get("name") or ""),
        vendor=str(item.get("vendor") or ""),
        cores=len(cores),
        threads=sum(len(_list(c.get("threads"))) for c in cores),
        frequency=frequency,
        frequency_minimum=int(item.get("frequency_minimum") or 0),
        frequency_turbo=int(item.get("frequency_turbo") or 0),
    )


def _nic(item: dict[str, Any]) -> Nic:
    ports = tuple(
        Port(
            id=str(p.get("id") or ""),
            protocol=str(p.get("protocol") or ""),
            address=str(p.get("address") or ""),
            link_detected=bool(p.get("link_detected")),
            link_speed=int(p.get("link_speed") or 0),
            link_duplex=str(p.get("link_duplex") or ""),
        )
        for p in _list(item.get("ports"))
    )
    return Nic(_maker(item), _product(item), str(item.get("driver") or ""), str(item.get("pci_address") or ""), ports)


def pool_sources(pools: list[dict[str, Any]]) -> dict[str, str]:
    """Each storage pool's `source` on the member (a device path, a path or a ZFS pool name)."""
    return {str(p.get("name")): str((p.get("config") or {}).get("source") or "") for p in pools}


def _used_by(disk: dict[str, Any], sources: dict[str, str]) -> tuple[str, ...]:
    """The pools built on this disk: a source naming it or one of its partitions, as /dev/ID or
    by its stable id. A pool on a directory or a loop file names no disk: it is not matched."""
    ids = [str(disk.get("id") or "")] + [str(p.get("id") or "") for p in _list(disk.get("partitions"))]
    names = {f"/dev/{i}" for i in ids if i}
    if disk.get("device_id"):
        names.add(f"/dev/disk/by-id/{disk['device_id']}")
    if disk.get("device_path"):
        names.add(f"/dev/disk/by-path/{disk['device_path']}")
    return tuple(sorted(pool for pool, source in sources.items() if source in names))


def _disk(item: dict[str, Any], sources: dict[str, str]) -> Disk:
    return Disk(
        id=str(item.get("id") or ""),
        device=str(item.get("device") or ""),
        model=str(item.get("model") or ""),
        type=str(item.get("type") or ""),
        size=int(item.get("size") or 0),
        read_only=bool(item.get("read_only")),
        removable=bool(item.get("removable")),
        rpm=int(item.get("rpm") or 0),
        partitions=tuple((str(p.get("id") or ""), int(p.get("size") or 0)) for p in _list(item.get("partitions"))),
        used_by=_used_by(item, sources),
    )


def _system(system: dict[str, Any]) -> str:
    words = " ".join(str(system.get(k) or "") for k in ("vendor", "product") if system.get(k))
    kind = str(system.get("type") or "").replace("-", " ")  # physical, virtual machine, container
    return f"{words} ({kind})" if words and kind else words or kind


def hardware_of(member: str, resources: dict[str, Any], sources: dict[str, str], at: datetime) -> Hardware:
    """The hardware in `resources` (Incus's reply), with the pools' sources on that member."""
    cpu = resources.get("cpu") or {}
    memory = resources.get("memory") or {}
    return Hardware(
        member=member,
        fetched_at=at,
        architecture=str(cpu.get("architecture") or ""),
        system=_system(resources.get("system") or {}),
        sockets=tuple(_socket(s) for s in _list(cpu.get("sockets"))),
        logical_cpus=int(cpu.get("total") or 0),
        memory_total=int(memory.get("total") or 0),
        memory_used=int(memory.get("used") or 0),
        hugepages_total=int(memory.get("hugepages_total") or 0),  # bytes, as Incus sends them
        hugepages_used=int(memory.get("hugepages_used") or 0),
        hugepage_size=int(memory.get("hugepages_size") or 0),
        numa_nodes=len(_list(memory.get("nodes"))),
        gpus=tuple(
            Device(_maker(g), _product(g), str(g.get("driver") or ""), str(g.get("pci_address") or ""))
            for g in _list((resources.get("gpu") or {}).get("cards"))
        ),
        nics=tuple(_nic(n) for n in _list((resources.get("network") or {}).get("cards"))),
        disks=tuple(_disk(d, sources) for d in _list((resources.get("storage") or {}).get("disks"))),
        pci=tuple(
            Device(_maker(p), _product(p), str(p.get("driver") or ""), str(p.get("pci_address") or ""),
                   f"IOMMU group {p['iommu_group']}" if p.get("iommu_group") is not None else "")
            for p in _list((resources.get("pci") or {}).get("devices"))
        ),
        usb=tuple(
            Device(_maker(u), _product(u), "", f"{u.get('bus_address', 0)}:{u.get('device_address', 0)}",
                   f"{float(u.get('speed') or 0):g} Mbit/s" if u.get("speed") else "")
            for u in _list((resources.get("usb") or {}).get("devices"))
        ),
    )


async def read_hardware(client: IncusClient, member: str) -> Hardware:
    """Ask Incus for the member's resources, and its pools for their source on that member."""
    resources = await client.member_resources(member)
    pools = []
    for pool in await client.storage_pools():
        try:
            pools.append(await client.storage_pool_on(str(pool.get("name")), member))
        except IncusError as exc:  # a pool pending on that member: its disk is just not named
            log.info("storage pool %s not read on %s: %s", pool.get("name"), member, exc.message)
    return hardware_of(member, resources, pool_sources(pools), now())


@dataclass
class HardwareCache:
    """Each member's hardware as last read, for this process: read on the first view of the
    member's page, again only on Refresh. Members gone from the cluster are dropped."""

    _kept: dict[str, Hardware] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def get(self, client: IncusClient, member: str, members: set[str], refresh: bool = False) -> Hardware:
        for gone in (set(self._kept) | set(self._locks)) - members:
            self._kept.pop(gone, None)
            self._locks.pop(gone, None)
        # Two tabs opening the page at once ask Incus once; a slow member holds only its own.
        async with self._locks.setdefault(member, asyncio.Lock()):
            if refresh or member not in self._kept:
                self._kept[member] = await read_hardware(client, member)
            return self._kept[member]
