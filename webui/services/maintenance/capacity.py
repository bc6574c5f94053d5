"""Pre-flight for an evacuation, asked when its dialog opens: which storage pools are remote
(a disk there moves with its instance), and the memory the instances that would move use now
against the free memory of the members that would receive them. Incus places each instance
on a member by its own rules (the scheduler, its instance count); this warns before moving
more than fits, it does not predict placement."""

import asyncio
import logging
from dataclasses import dataclass

from webui.incus.client import IncusClient
from webui.incus.errors import IncusError
from webui.live.snapshot import ClusterSnapshot
from webui.services.maintenance.evacuation_plan import REMOTE_DRIVERS, evacuation_plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Capacity:
    moving: tuple[tuple[str, int], ...]  # running instances that would move, and their memory use
    receivers: tuple[tuple[str, int], ...]  # members that would receive them, and their free memory
    unknown: tuple[str, ...] = ()  # instances whose memory Incus did not report

    @property
    def needed(self) -> int:
        return sum(used for _, used in self.moving)

    @property
    def free(self) -> int:
        return sum(free for _, free in self.receivers)

    @property
    def fits(self) -> bool:
        """All of it fits in the free memory, and the largest instance fits on one member."""
        largest = max((used for _, used in self.moving), default=0)
        roomiest = max((free for _, free in self.receivers), default=0)
        return self.needed <= self.free and largest <= roomiest


def receivers(snapshot: ClusterSnapshot, name: str) -> tuple[tuple[str, int], ...]:
    """Online members other than `name`, with the free memory they last reported."""
    found = []
    for member in snapshot.members:
        state = snapshot.states.get(member.server_name)
        if member.server_name != name and member.status == "Online" and state is not None:
            found.append((member.server_name, state.sysinfo.free_ram))
    return tuple(found)


async def remote_pools(client: IncusClient) -> frozenset[str]:
    """The pools whose volumes every member reaches. When Incus does not answer, every pool
    counts as local: the plan then errs towards "stays here" for a disk on one."""
    try:
        pools = await client.storage_pools()
    except IncusError as exc:
        log.info("storage pools not read for an evacuation plan: %s", exc.message)
        return frozenset()
    return frozenset(str(p.get("name")) for p in pools if p.get("driver") in REMOTE_DRIVERS)


async def preflight(
    client: IncusClient, snapshot: ClusterSnapshot, name: str, mode: str, pools: frozenset[str] = frozenset()
) -> Capacity:
    """Asked when the evacuate dialog opens (an admin about to act), not on page loads."""
    moving = [
        item.instance
        for item in evacuation_plan(snapshot, name, mode, pools)
        if item.instance.status == "Running" and item.moves
    ]
    results = await asyncio.gather(*(client.instance_memory(i.name, i.project) for i in moving), return_exceptions=True)
    used, unknown = [], []
    for instance, result in zip(moving, results, strict=True):
        if isinstance(result, IncusError):
            unknown.append(instance.name)
        elif isinstance(result, BaseException):
            raise result
        else:
            used.append((instance.name, result))
    return Capacity(tuple(used), receivers(snapshot, name), tuple(unknown))
