"""The one SSE stream of a page: HTML fragments from the hub, swapped in place by htmx."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse

from webui.routes.deps import HubDep, SettingsDep

router = APIRouter()

MAX_TOPICS = 8


@router.get("/stream", name="stream", include_in_schema=False)
async def stream(
    hub: HubDep,
    settings: SettingsDep,
    topic: Annotated[list[str] | None, Query(max_length=MAX_TOPICS)] = None,
    v: int | None = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    # The version the page shows: its URL's on first connect, Last-Event-ID on a resume.
    seen = int(last_event_id) if last_event_id and last_event_id.isdigit() else v
    topics = topic or []
    subscriber = hub.subscribe(topics)
    missed = hub.refresh(topics) if seen != hub.snapshot.version else []

    async def frames() -> AsyncIterator[bytes]:
        try:
            for frame in missed:
                yield frame
            while (queued := await subscriber.queue.get()) is not None:
                yield queued
        finally:
            hub.unsubscribe(subscriber)

    return EventSourceResponse(
        frames(), ping=settings.heartbeat, send_timeout=settings.send_timeout
    )
