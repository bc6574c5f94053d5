"""Healing on record, and the fencing hook Incus's documentation recommends ("Cluster healing").

Incus evacuates a member by itself once the leader has seen it offline (no heartbeat reply and
no ICMP reply) for `cluster.healing_threshold` seconds, and says so once, in a
`cluster-member-healed` lifecycle event. Incus keeps no record of it: the dashboard does, in
the database, so a healed member stays flagged on every page until it is restored, across
restarts and for every dashboard process sharing the database. Each event is kept once (keyed
on the member and Incus's timestamp) and claimed by exactly one process, which runs the
`healed_hook` command and posts to `healed_webhook`, each firing audited with its outcome.
The healing section shows whether each is set (never its secret parts) and, from those audit
records, when each last fired, whichever process fired it.
"""

import asyncio
import json
import logging
import shlex
import socket
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from webui.audit.log import AuditLog
from webui.clock import now
from webui.incus.models import Event
from webui.live.cluster_events import by_incus_itself
from webui.live.hub import Hub
from webui.live.snapshot import FencingState, Firing
from webui.models import AuditRecord, HealingEvent, RebalanceMove
from webui.services.maintenance.store import insert_if_absent

log = logging.getLogger(__name__)
MEMBER_SOURCE = "/1.0/cluster/members/"
FIRINGS = ("healed-hook", "healed-webhook")  # the audit actions of the two fencing actions
WEBHOOK_ATTEMPTS = 4  # then given up, and audited as failed
WEBHOOK_TIMEOUT = 10.0


@dataclass(frozen=True)
class Fencing:
    """The settings: a command run as `COMMAND MEMBER` with the event JSON on stdin, and a URL
    receiving the event JSON in a POST, retried with backoff (1 s, 2 s, 4 s...)."""

    hook: str = ""
    hook_timeout: float = 30.0
    webhook: str = ""
    backoff: float = 1.0


def webhook_site(url: str) -> str:
    """The webhook's scheme and host (and port), all a page or the audit log may show: the URL
    may carry credentials (user:password@) or a token (in its path, as Slack's do, or query)."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.scheme or not parts.hostname:
        return "an address that is not a URL"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}"


def hook_program(command: str) -> str:
    """The hook's program name: its arguments may hold a password (a BMC's)."""
    try:
        words = shlex.split(command)
    except ValueError:  # unbalanced quotes: Healing would fail to run it too
        words = command.split()
    return PurePosixPath(words[0]).name if words else ""


def configured(fencing: Fencing) -> FencingState:
    """What the healing section may say of the settings."""
    return FencingState(
        hook=hook_program(fencing.hook) if fencing.hook.strip() else "",
        webhook=webhook_site(fencing.webhook) if fencing.webhook.strip() else "",
    )


def last_firings(engine: Engine) -> tuple[Firing, ...]:
    """Each fencing action's last run with its outcome, from the audit log (any process's)."""
    found = []
    with Session(engine) as session:
        for action in FIRINGS:
            record = session.scalars(
                select(AuditRecord)
                .where(
                    AuditRecord.action == action,
                    AuditRecord.via == "healing",
                    AuditRecord.outcome.in_(("succeeded", "failed")),
                )
                .order_by(AuditRecord.id.desc())
                .limit(1)
            ).first()
            if record is not None:
                found.append(Firing(action, record.target, record.at, record.error))
    return tuple(found)


def _member(event: Event) -> str:
    source = str(event.metadata.get("source", ""))
    return source.removeprefix(MEMBER_SOURCE) if source.startswith(MEMBER_SOURCE) else ""


def record_and_claim(engine: Engine, cluster: str, member: str, at: datetime, event: dict[str, Any], me: str) -> bool:
    """Keep the event once, and claim its firing for `me`: True for exactly one process."""
    insert_if_absent(engine, HealingEvent(cluster=cluster, member=member, occurred_at=at, event=event, claimed_by=""))
    with Session(engine) as session, session.begin():
        claimed = session.execute(
            update(HealingEvent)
            .where(HealingEvent.cluster == cluster, HealingEvent.member == member, HealingEvent.occurred_at == at)
            .where(HealingEvent.claimed_by == "")
            .values(claimed_by=me)
        )
        return bool(getattr(claimed, "rowcount", 0) == 1)


def mark_restored(engine: Engine, cluster: str, member: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            update(HealingEvent)
            .where(HealingEvent.cluster == cluster, HealingEvent.member == member, HealingEvent.restored_at.is_(None))
            .values(restored_at=now())
        )


def healed_members(engine: Engine, cluster: str) -> frozenset[str]:
    """`cluster`'s members healed and not restored since, as the database has them."""
    query = select(HealingEvent.member).where(HealingEvent.cluster == cluster, HealingEvent.restored_at.is_(None))
    with Session(engine) as session:
        return frozenset(session.scalars(query))


def history(engine: Engine, cluster: str, limit: int = 100) -> tuple[list[HealingEvent], list[RebalanceMove]]:
    healed = select(HealingEvent).where(HealingEvent.cluster == cluster)
    moves = select(RebalanceMove).where(RebalanceMove.cluster == cluster)
    with Session(engine) as session:
        return (
            list(session.scalars(healed.order_by(HealingEvent.occurred_at.desc()).limit(limit))),
            list(session.scalars(moves.order_by(RebalanceMove.occurred_at.desc()).limit(limit))),
        )


async def run_hook(command: str, member: str, payload: bytes, timeout: float) -> str:
    """Run the hook; "" when it exited 0, else what went wrong."""
    try:
        process = await asyncio.create_subprocess_exec(
            *shlex.split(command),
            member,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        return f"could not run it: {exc}"
    try:
        _, stderr = await asyncio.wait_for(process.communicate(payload), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        return f"timed out after {timeout:g} s"
    if process.returncode:
        return f"exit status {process.returncode}: {stderr.decode(errors='replace').strip()[-500:]}"
    return ""


async def post_webhook(url: str, payload: bytes, backoff: float) -> tuple[str, int]:
    """POST the event; ("", attempts) once answered 2xx, else (the last error, attempts)."""
    error = ""
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as http:
        for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
            try:
                reply = await http.post(url, content=payload, headers={"Content-Type": "application/json"})
                if reply.is_success:
                    return "", attempt
                error = f"HTTP {reply.status_code}"
            except httpx.HTTPError as exc:
                error = str(exc) or type(exc).__name__
            if attempt < WEBHOOK_ATTEMPTS:
                await asyncio.sleep(backoff * 2 ** (attempt - 1))
    return error, WEBHOOK_ATTEMPTS


class Healing:
    def __init__(self, hub: Hub, engine: Engine, audit: AuditLog, fencing: Fencing, cluster: str) -> None:
        self.hub = hub
        self.engine = engine
        self.cluster = cluster  # the name its rows carry in the database
        self.audit = audit
        self.fencing = fencing
        self.me = f"{socket.gethostname()}:{hub.boot}"  # this process, for the claim
        self.configured = configured(fencing)
        hub.update(hub.snapshot.evolve(fencing=self.configured))  # said at once; when it fired, at the first sync

    async def on_event(self, event: Event) -> None:
        """A watcher event handler."""
        member = _member(event)
        if event.action == "cluster-member-healed" and member:
            payload = event.model_dump(mode="json")
            at = event.timestamp or now()
            claimed = await asyncio.to_thread(record_and_claim, self.engine, self.cluster, member, at, payload, self.me)
            await self.refresh()
            if claimed:
                await self.fire(member, json.dumps(payload).encode())
        elif event.action == "cluster-member-restored" and member:
            await asyncio.to_thread(mark_restored, self.engine, self.cluster, member)
            await self.refresh()
        elif event.action == "instance-migrated" and by_incus_itself(event):
            await asyncio.to_thread(self._record_move, event)

    async def on_sync(self, running: object) -> None:
        """After (re)subscribing: the flags from the database (another process may have
        seen a heal or a restore meanwhile)."""
        await self.refresh()

    async def refresh(self) -> None:
        healed = await asyncio.to_thread(healed_members, self.engine, self.cluster)
        fencing = replace(self.configured, fired=await asyncio.to_thread(last_firings, self.engine))
        snapshot = self.hub.snapshot
        if (healed, fencing) != (snapshot.healed, snapshot.fencing):
            self.hub.update(snapshot.evolve(healed=healed, fencing=fencing))

    async def fire(self, member: str, payload: bytes) -> None:
        """Both fencing actions at once, each audited with its outcome."""
        jobs = []
        if self.fencing.hook:
            jobs.append(
                self._audited(
                    "healed-hook",
                    member,
                    {"command": self.fencing.hook},
                    run_hook(self.fencing.hook, member, payload, self.fencing.hook_timeout),
                )
            )
        if self.fencing.webhook:
            jobs.append(self._audited_webhook(member, payload))
        await asyncio.gather(*jobs)
        await self.refresh()  # when it fired; other processes read it at their next sync

    async def _audited_webhook(self, member: str, payload: bytes) -> None:
        error, attempts = await post_webhook(self.fencing.webhook, payload, self.fencing.backoff)
        site = webhook_site(self.fencing.webhook)  # the audit log is read by auditors: no credentials
        await self._record("healed-webhook", member, {"url": site, "attempts": attempts}, error)

    async def _audited(self, action: str, member: str, parameters: dict[str, Any], job: Any) -> None:
        await self._record(action, member, parameters, await job)

    async def _record(self, action: str, member: str, parameters: dict[str, Any], error: str) -> None:
        if error:
            log.warning("%s for healed member %s failed: %s", action, member, error)
        await self.audit.append_async(
            actor="incus-webui",
            via="healing",
            action=action,
            target=member,
            parameters=parameters,
            outcome="failed" if error else "succeeded",
            error=error,
        )

    def _record_move(self, event: Event) -> None:
        """A migration no user or client asked for: Incus's own rebalancing."""
        insert_if_absent(
            self.engine,
            RebalanceMove(
                cluster=self.cluster,
                occurred_at=event.timestamp or now(),
                project=event.project or "default",
                instance=str(event.metadata.get("name", "")),
                from_member=event.location,
                to_member="",
            ),
        )
