"""Drives the guided rolling upgrade: start and cancel (audited), and a tick every poll
interval that advances the plan from the snapshot and takes its one action (an audited
evacuate or restore, as the admin who started it). The plan lives in the database, so a
restarted dashboard resumes it; a lease there lets one process act at a time."""

import asyncio
import logging
import socket
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from webui.clock import now
from webui.identity import Actor, Identity
from webui.incus.errors import IncusError
from webui.models import RollingUpgrade
from webui.services.context import Context
from webui.services.errors import SERVICE_ERRORS, Refused
from webui.services.members import changes as members
from webui.services.upgrade.plan import CANCELLED, FAILED, RUNNING, MemberStep, Plan, advance, propose

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=20)
MODES = ("auto", "migrate", "live-migrate", "stop", "skip")


def _to_plan(row: RollingUpgrade) -> Plan:
    return Plan(mode=row.mode, members=tuple(MemberStep(**m) for m in row.plan), outcome=row.outcome)


def active(engine: Engine, cluster: str) -> tuple[int, str, Plan] | None:
    """`cluster`'s running upgrade (id, who started it, its plan), else its last one, else None."""
    query = select(RollingUpgrade).where(RollingUpgrade.cluster == cluster)
    with Session(engine) as session:
        row = session.scalars(query.order_by(RollingUpgrade.id.desc()).limit(1)).first()
        return (row.id, row.started_by, _to_plan(row)) if row else None


def _save(engine: Engine, upgrade_id: int, current: Plan) -> None:
    with Session(engine) as session, session.begin():
        row = session.get_one(RollingUpgrade, upgrade_id)
        row.plan = [asdict(m) for m in current.members]
        row.outcome, row.updated_at = current.outcome, now()


def _claim(engine: Engine, upgrade_id: int, me: str) -> bool:
    """Hold (or renew) the lease to act on this upgrade; False while another process holds it."""
    at = now()
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(RollingUpgrade)
            .where(
                RollingUpgrade.id == upgrade_id,
                RollingUpgrade.outcome == RUNNING,
                or_(RollingUpgrade.driver == me, RollingUpgrade.lease_until.is_(None), RollingUpgrade.lease_until < at),
            )
            .values(driver=me, lease_until=at + LEASE)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


async def start(ctx: Context, who: Actor, mode: str, target: str = "") -> None:
    """Start guiding, in the order and to the version the confirmation showed (`propose`)."""
    if mode not in MODES:
        raise Refused(400, f"Unknown mode {mode!r}: one of {', '.join(MODES)}")
    proposal = propose(ctx.hub.snapshot, mode, target)
    async with ctx.audit.action(who, "rolling-upgrade-start", "cluster", {"mode": mode, "to": proposal.target}):
        if proposal.refused:
            raise Refused(409, proposal.refused)
        current = await asyncio.to_thread(active, ctx.engine, ctx.cluster)
        if current is not None and current[2].outcome == RUNNING:
            raise Refused(409, "A rolling upgrade is already under way")
        fresh = proposal.plan
        name = who.identity.name if who.identity else ""
        row = RollingUpgrade(
            cluster=ctx.cluster,
            started_at=now(),
            started_by=name,
            mode=mode,
            outcome=RUNNING,
            plan=[asdict(m) for m in fresh.members],
            driver="",
            updated_at=now(),
        )
        await asyncio.to_thread(_insert, ctx.engine, row)


def _insert(engine: Engine, row: RollingUpgrade) -> None:
    with Session(engine) as session, session.begin():
        session.add(row)


async def cancel(ctx: Context, who: Actor) -> None:
    """Stop guiding: nothing more is evacuated or restored (a running operation goes on)."""
    async with ctx.audit.action(who, "rolling-upgrade-cancel", "cluster"):
        current = await asyncio.to_thread(active, ctx.engine, ctx.cluster)
        if current is None or current[2].outcome != RUNNING:
            raise Refused(409, "No rolling upgrade is under way")
        await asyncio.to_thread(_save, ctx.engine, current[0], replace(current[2], outcome=CANCELLED))


class Driver:
    def __init__(self, ctx: Context, interval: float) -> None:
        self.ctx = ctx
        self.interval = interval
        self.me = f"{socket.gethostname()}:{ctx.hub.boot}"

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except IncusError as exc:
                log.info("rolling upgrade not advanced: %s", exc.message)
            except Exception:  # e.g. a busy database: the guide must go on at the next tick
                log.exception("rolling upgrade not advanced")

    async def tick(self) -> None:
        found = await asyncio.to_thread(active, self.ctx.engine, self.ctx.cluster)
        if found is None or found[2].outcome != RUNNING:
            return
        upgrade_id, started_by, current = found
        if not await asyncio.to_thread(_claim, self.ctx.engine, upgrade_id, self.me):
            return
        following, action = advance(current, self.ctx.hub.snapshot)
        if action is not None:
            who = Actor(Identity(started_by, "admin", "rolling upgrade"))
            try:
                await members.change_state(self.ctx, who, action.member, action.verb, action.mode)
            except SERVICE_ERRORS as exc:  # Incus's words (or ours) on the member's step
                following = _fail(following, action.member, exc.message)
        if following != current:
            await asyncio.to_thread(_save, self.ctx.engine, upgrade_id, following)


def _fail(current: Plan, name: str, message: str) -> Plan:
    return replace(
        current,
        members=tuple(replace(m, state=FAILED, note=message) if m.name == name else m for m in current.members),
    )


def view(found: tuple[int, str, Plan] | None) -> dict[str, Any]:
    """What the page shows of the upgrade on record."""
    if found is None:
        return {"upgrade": None, "started_by": ""}
    return {"upgrade": found[2], "started_by": found[1]}
