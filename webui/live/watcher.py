"""The one Watcher of a dashboard process: the only reader of cluster state from Incus.

It listens to `/1.0/events` (lifecycle and operation events from every member, relayed by
the member we talk to) and resyncs the member list and instances right after each event and
every poll_interval anyway: a member going offline emits no event, and Incus drops listeners
that fall 1,000 events behind. Member state (uptime, load, memory, pools) is refreshed every
state_interval. However many browsers are open, Incus sees this one reader.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from operator import attrgetter
from typing import TypeVar

from webui.clock import now
from webui.incus.client import IncusClient, parse_each
from webui.incus.errors import IncusError
from webui.incus.models import UNHEARD, Event, Instance, Member, MemberState, Operation, Server
from webui.live import cadence, cluster_events, targets
from webui.live.hub import Hub
from webui.live.snapshot import merge_operations
from webui.live.trends import Trends
from webui.live.trust_store import TrustStore
from webui.live.warnings import Warnings

log = logging.getLogger(__name__)
T = TypeVar("T")

# A frozen member must not hold up the rest: requests Incus forwards to members (state, and
# instances, whose state each member reports) get this long, and no failover.
STATE_TIMEOUT = 5.0
# How long an operation shown running may go unheard of before Incus is asked whether it still
# runs: its last event can be lost between members (one restarting) without our stream noticing.
QUIET_OPERATION = 10.0
SLOW_ROUND_EVENTS = ("config-updated", "cluster-certificate-updated", "cluster-group-", "certificate-")  # run it now
# A resync slower than this is logged: each request has its timeout, but a round's can add up.
SLOW_RESYNC = 10.0
_BY_NAME, _BY_KEY = attrgetter("server_name"), attrgetter("project", "name")  # members', instances' order
EventHandler = Callable[[Event], Awaitable[None]]
OperationHandler = Callable[[Operation], Awaitable[None]]
SyncHandler = Callable[[list[Operation]], Awaitable[None]]


async def _forever(loop: Callable[[], Awaitable[None]]) -> None:
    """Keep a watcher loop alive: a bug or an unexpected reply from Incus must not leave the
    dashboard showing frozen data. Logged with its traceback, then the loop starts again."""
    while True:
        try:
            await loop()
        except Exception:
            log.exception("watcher loop failed; restarting it in 5 s")
            await asyncio.sleep(5)


class Watcher:
    def __init__(
        self,
        client: IncusClient,
        hub: Hub,
        poll_interval: float = 3.0,
        state_interval: float = 10.0,
        trends: Trends | None = None,
        on_event: list[EventHandler] | None = None,
        on_operation: list[OperationHandler] | None = None,
        on_sync: list[SyncHandler] | None = None,
        budget: int = cadence.BUDGET,
    ) -> None:
        self.client = client
        self.hub = hub
        self.poll_interval = poll_interval
        self.state_interval = state_interval
        self.trends = trends or Trends(state_interval)  # each state refresh is a sample
        # Services listening: to every event, to every operation update (from an event or
        # a catch-up), and to the full list of running operations after each catch-up.
        self.on_event = on_event or []
        self.on_operation = on_operation or []
        self.on_sync = on_sync or []
        self._wake = asyncio.Event()
        self._slow_wake = asyncio.Event()  # configuration or certificate changed: refresh now
        self._server_endpoint = ""  # the endpoint server_name was read from
        self._tasks: list[asyncio.Task[None]] = []
        # Targeted fetches under way, and when each target was last asked for (loop time): a
        # resync that asked Incus before that keeps the patched version (see `targets.fresher`).
        self._fetches: set[asyncio.Task[None]] = set()
        self._patched: dict[targets.Target, float] = {}
        self._landed: dict[targets.Target, float] = {}  # when the answer last applied was asked
        # Members asked per state round beyond those whose page is open, and when each member
        # was last asked for its state and for its `/1.0` (loop time): see `cadence`.
        self.budget = budget
        self._state_asked: dict[str, float] = {}
        self._server_asked: dict[str, float] = {}
        self._operation_heard: dict[str, float] = {}  # operation id: when last heard or asked (loop time)
        self.trust_store = TrustStore(client, hub)
        self.warnings = Warnings(client, hub)
        self.on_event = [*self.on_event, self.warnings.on_event]

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(_forever(self._poll_loop), name="watcher-poll"),
            asyncio.create_task(_forever(self._state_loop), name="watcher-state"),
            asyncio.create_task(_forever(self._event_loop), name="watcher-events"),
        ]

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._fetches]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def wake(self) -> None:
        """Resync now (after an event, or an action the dashboard took)."""
        self._wake.set()

    async def fetch(self, target: targets.Target) -> None:
        """Fetch the one member or instance an event named and patch the snapshot with it."""
        self._patched[target] = asked = asyncio.get_running_loop().time()
        try:
            if target.kind == "member":
                item: Member | Instance = await self.client.member(target.name)
            else:
                item = await self.client.instance(target.name, target.project, timeout=STATE_TIMEOUT)
        except IncusError as exc:
            log.info("%s %s not fetched (%s): resyncing", target.kind, target.name, exc.message)
            self.wake()
            return
        # Two fetches of one target may answer out of order: the older answer is dropped.
        if self._landed.get(target, -1.0) > asked:
            return
        self._landed[target] = asked
        if (updated := targets.patch(self.hub.snapshot, item)) is not None:
            self.hub.update(updated)

    async def resync(self) -> None:
        started = asyncio.get_running_loop().time()
        try:
            members = await self.client.members()
            endpoint = self.client.transport.current
            server_name = self.hub.snapshot.server_name
            if endpoint != self._server_endpoint or not server_name:
                server = await self.client.server()
                server_name = str(server.get("environment", {}).get("server_name", ""))
                self._server_endpoint = endpoint
        except IncusError as exc:
            snapshot = self.hub.snapshot
            if snapshot.reachable or snapshot.error != exc.message:
                log.warning("cluster state not refreshed: %s", exc.message)
            self.hub.update(snapshot.evolve(reachable=False, error=exc.message))
            return
        # Publish the members at once: the instance list is slower (Incus asks every member
        # for its instances' state), and the member table should not wait for it.
        self._publish(members, list(self.hub.snapshot.instances), server_name, endpoint, started)
        try:
            instances = await self.client.instances(timeout=STATE_TIMEOUT)
        except IncusError as exc:
            log.info("instances not refreshed: %s", exc.message)  # keep the last known ones
            return
        self._publish(members, instances, server_name, endpoint, started)
        self._patched = {t: at for t, at in self._patched.items() if at >= started}
        self._landed = {t: at for t, at in self._landed.items() if at >= started}

    def _publish(
        self, members: list[Member], instances: list[Instance], server_name: str, endpoint: str, started: float
    ) -> None:
        # Read the snapshot only now: the state loop may have published one meanwhile.
        snapshot = self.hub.snapshot
        names = {m.server_name for m in members}
        patched = {t for t, at in self._patched.items() if at >= started}
        self.hub.update(
            snapshot.evolve(
                members=tuple(sorted(targets.fresher(members, snapshot.members, patched), key=_BY_NAME)),
                instances=tuple(sorted(targets.fresher(instances, snapshot.instances, patched), key=_BY_KEY)),
                states={k: v for k, v in snapshot.states.items() if k in names},
                operations=merge_operations(snapshot.operations, ()),
                server_name=server_name,
                endpoint=endpoint,
                reachable=True,
                error="",
                updated_at=now(),
            )
        )

    def _due(self, asked_at: dict[str, float], watched: frozenset[str]) -> list[str]:
        """The members not offline to ask this round (see `cadence`), noted as asked now."""
        online = [m.server_name for m in self.hub.snapshot.members if m.status != "Offline"]
        chosen = cadence.due(online, watched, asked_at, self.budget)
        at = asyncio.get_running_loop().time()
        asked_at.update(dict.fromkeys(chosen, at))
        return chosen

    async def refresh_states(self) -> None:
        """Member state (uptime, load, memory, pools): every round for members whose page is
        open, in turns for the others."""
        chosen = self._due(self._state_asked, self.hub.watched())
        online = [m for name in chosen if (m := self.hub.snapshot.member(name)) is not None]
        results = await asyncio.gather(*(self._member_state(m) for m in online))
        snapshot = self.hub.snapshot
        states, cpus = dict(snapshot.states), dict(snapshot.cpus)
        answered = []
        for member, (state, cpu) in zip(online, results, strict=True):
            if state is not None:
                states[member.server_name] = state
                answered.append(member.server_name)
            if cpu:
                cpus[member.server_name] = cpu
        sampled = snapshot.evolve(states=states, cpus=cpus)
        self.trends.sample(sampled, answered)
        self.hub.update(sampled)

    async def refresh_servers(self) -> None:
        """`/1.0` of the member in use (global keys, API extensions, the certificate) and of
        the members not offline whose turn it is (their version and extension count, their
        local keys; see `cadence`)."""
        try:
            server = Server.model_validate(await self.client.server())
        except IncusError as exc:
            log.info("server configuration not refreshed: %s", exc.message)
            return
        members = self._due(self._server_asked, frozenset())
        results = await asyncio.gather(*(self._server_of(name) for name in members))
        snapshot = self.hub.snapshot
        # An offline member keeps what it last said (its version, for the upgrade panel).
        servers = {k: v for k, v in snapshot.servers.items() if snapshot.member(k) is not None}
        servers |= {name: result for name, result in zip(members, results, strict=True) if result is not None}
        answered = {name for name, result in zip(members, results, strict=True) if result is not None}
        # Silent: offline, or no answer when last asked (those not asked this round keep theirs).
        online = {m.server_name for m in snapshot.members if m.status != "Offline"}
        silent = frozenset(
            m.server_name
            for m in snapshot.members
            if m.server_name not in online
            or (m.server_name in members and m.server_name not in answered)
            or (m.server_name not in members and m.server_name in snapshot.silent)
        )
        metadata = snapshot.metadata
        if metadata is None or metadata.version != server.version:  # an upgrade may bring new keys
            try:
                metadata = await self.client.config_metadata(server.version)
            except IncusError as exc:
                log.info("configuration metadata not fetched: %s", exc.message)
        snapshot = self.hub.snapshot
        self.hub.update(snapshot.evolve(server=server, servers=servers, silent=silent, metadata=metadata))
        await self.refresh_groups()

    async def refresh_groups(self) -> None:
        """`incus cluster group list`: names, descriptions and members."""
        try:
            groups = await self.client.groups(self.hub.snapshot.features)
        except IncusError as exc:
            log.info("cluster groups not refreshed: %s", exc.message)
            return
        self.hub.update(self.hub.snapshot.evolve(groups=tuple(sorted(groups, key=lambda g: g.name))))

    async def _server_of(self, name: str) -> Server | None:
        try:
            return await self.client.server_of(name, timeout=STATE_TIMEOUT)
        except IncusError as exc:
            log.info("no /1.0 from member %s: %s", name, exc.message)
            return None

    async def _member_state(self, member: Member) -> tuple[MemberState | None, int]:
        name = member.server_name
        try:
            state = await self.client.member_state(name, timeout=STATE_TIMEOUT)
            cpus = self.hub.snapshot.cpus.get(name) or await self.client.member_cpus(
                name, timeout=STATE_TIMEOUT
            )
        except IncusError as exc:
            log.info("no state for member %s: %s", name, exc.message)
            return None, 0
        return state, cpus

    async def _poll_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            started = loop.time()
            await self.resync()
            await self.recheck_quiet()
            if (took := loop.time() - started) > SLOW_RESYNC:
                log.warning("a resync round took %.1f s: pages showed older member lists meanwhile", took)
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                await asyncio.sleep(0.05)  # let a burst of events coalesce into one resync
            except TimeoutError:
                pass

    async def _state_loop(self) -> None:
        while True:
            if self.hub.snapshot.reachable:
                self._slow_wake.clear()
                await self.refresh_states()
                await self.refresh_servers()
                await self.trust_store.refresh()
                await self.warnings.refresh()
                try:
                    await asyncio.wait_for(self._slow_wake.wait(), self.state_interval)
                except TimeoutError:
                    pass
            else:
                await asyncio.sleep(self.poll_interval)

    async def _event_loop(self) -> None:
        backoff = 1.0
        while True:
            try:
                async with self.client.events() as events:
                    # Subscribed: now catch up on operations started while we were away
                    # (a dashboard restart in the middle of an evacuation finds it again).
                    await self.sync_operations()
                    backoff = 1.0
                    async for event in events:
                        await self._handle(event)
                        # Let the loop turn: reading a burst Incus held (after a stall) does not
                        # wait, and without a turn between events no stream takes its frames, so
                        # every open page's mailbox fills and it is dropped as if not reading.
                        await asyncio.sleep(0)
            except IncusError as exc:
                log.info("event stream lost: %s", exc.message)
            # The stream ended or failed: resync at once, since events may have been missed.
            self.wake()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    async def sync_operations(self) -> None:
        """Catch up after (re)subscribing: the operations running now, and how those shown
        running that Incus no longer lists ended (their last event came while we were away)."""
        running = await self.client.operations()
        self.track(*running)
        await self._recheck_unlisted(running, self.hub.snapshot.operations)
        for sync in self.on_sync:
            await _guarded(sync, running)

    async def recheck_quiet(self) -> None:
        """Ask Incus about operations shown running and unheard of for QUIET_OPERATION
        seconds (not join tokens, which wait quietly for hours). One list while any are."""
        at = asyncio.get_running_loop().time()
        shown = self.hub.snapshot.operations
        self._operation_heard = {op.id: self._operation_heard.get(op.id, at) for op in shown}
        quiet = [
            op
            for op in shown
            if not op.finished and op.class_ != "token" and at - self._operation_heard[op.id] > QUIET_OPERATION
        ]
        if not quiet:
            return
        try:
            running = await self.client.operations()
        except IncusError as exc:
            log.info("running operations not listed: %s", exc.message)
            return
        self._operation_heard.update(dict.fromkeys((op.id for op in quiet), at))
        await self._recheck_unlisted(running, quiet)

    async def _recheck_unlisted(self, running: list[Operation], shown: Iterable[Operation]) -> None:
        listed = {op.id for op in running}
        for operation in shown:
            if not operation.finished and operation.id not in listed:
                await self.recheck(operation)

    async def recheck(self, shown: Operation) -> Operation:
        """How an operation shown running stands at Incus now, handled as its event would be
        if it ended: that event was lost, or is still on its way. Incus keeps an ended
        operation only seconds; one it has forgotten ended, how is not known (UNHEARD)."""
        try:
            operation = await self.client.operation(shown.id)
        except IncusError as exc:
            if exc.status != 404:
                log.info("operation %s not rechecked: %s", shown.id, exc.message)
                return shown
            operation = shown.model_copy(update={"status": UNHEARD, "status_code": 0, "updated_at": now()})
        if operation.finished:
            await self._heard(operation)
        return operation

    def track(self, *operations: Operation) -> None:
        """Record operations as Incus reports them; finished ones stay a while with their outcome."""
        snapshot = self.hub.snapshot
        self.hub.update(snapshot.evolve(operations=merge_operations(snapshot.operations, operations)))
        at = asyncio.get_running_loop().time()
        self._operation_heard.update(dict.fromkeys((op.id for op in operations), at))

    async def _heard(self, operation: Operation) -> None:
        """An update of an operation, from its event or from asking Incus."""
        self.track(operation)
        if operation.finished:
            self.wake()  # an evacuation or migration moved instances
        for on_operation in self.on_operation:
            await _guarded(on_operation, operation)

    async def _handle(self, event: Event) -> None:
        if event.type == "lifecycle":
            if (target := targets.named(event)) is None:
                self.wake()  # the lists themselves may have changed: a full (debounced) resync
            else:  # at once, without waiting for the debounce
                task = asyncio.create_task(self.fetch(target), name=f"watcher-fetch-{target.name}")
                self._fetches.add(task)
                task.add_done_callback(self._fetches.discard)
            if (updated := cluster_events.apply(self.hub.snapshot, event)) is not None:
                self.hub.update(updated)
            if event.action.startswith("certificate-"):  # created, updated, deleted: names changed
                self.trust_store.changed()
            if event.action.startswith(SLOW_ROUND_EVENTS):
                self._slow_wake.set()
        elif event.type == "operation":
            for operation in parse_each(Operation, [event.metadata]):
                await self._heard(operation)
        for handler in self.on_event:
            await _guarded(handler, event)


async def _guarded(handler: Callable[[T], Awaitable[None]], item: T) -> None:
    """Run a service's handler. One that fails (a database down, a bug) is logged with its
    traceback and the next item is handled: the live view must not stop for it."""
    try:
        await handler(item)
    except Exception:
        log.exception("watcher handler %s failed", getattr(handler, "__qualname__", handler))
