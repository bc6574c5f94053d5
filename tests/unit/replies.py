"""Replies and events a real Incus 6.0.4 sent, recorded in `recorded/`."""

import json
from pathlib import Path

from webui.incus.models import Event, IncusWarning, Operation

RECORDED = Path(__file__).parent / "recorded"
EVACUATING = "Evacuating cluster member"


def recorded_events(recording: str) -> list[Event]:
    """The events recorded with `incus monitor` in `recording`."""
    return [Event.model_validate(json.loads(line)) for line in (RECORDED / recording).read_text().splitlines()]


def operation_updates(recording: str) -> list[Operation]:
    """The operation updates among the events recorded in `recording`."""
    return [Operation.model_validate(e.metadata) for e in recorded_events(recording) if e.type == "operation"]


def evacuation_operations() -> list[Operation]:
    """Every operation update sent while `incus cluster evacuate member2 --action migrate`
    moved seven containers: the evacuation's and its moves'."""
    return operation_updates("evacuation_events.jsonl")


def evacuation_updates() -> list[Operation]:
    """The evacuation's own updates, first to last."""
    return [op for op in evacuation_operations() if op.description == EVACUATING]


def recorded_warnings() -> list[IncusWarning]:
    """`GET /1.0/warnings?recursion=1` of a fresh dev cluster (three warnings on member1, one
    acknowledged with `incus warning ack`)."""
    return [IncusWarning.model_validate(w) for w in json.loads((RECORDED / "warnings.json").read_text())]
