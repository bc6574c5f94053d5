"""The one SSE stream of a page: HTML fragments from the hub, swapped in place by htmx."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from webui.auth.roles import can
from webui.identity import Identity
from webui.live.hub import (
    AUDIT,
    CLUSTER,
    MAINTENANCE,
    MEMBERS,
    NOC,
    OPERATIONS,
    TooManyStreams,
    maintenance_topic,
    member_topic,
    operations_topic,
)
from webui.live.sse import SubscriberResponse
from webui.routes.deps import HubDep, IdentityDep, SettingsDep
from webui.services.errors import Refused

router = APIRouter()

MAX_TOPICS = 8


# The topics the pages ask for; any other is refused, so a client cannot make the hub keep
# sets of topics nobody publishes to (each set of topics is held, and its refresh cached).
PAGE_TOPICS = frozenset({MEMBERS, NOC, CLUSTER, AUDIT, OPERATIONS, MAINTENANCE})


def allowed_topics(identity: Identity, requested: list[str], members: frozenset[str]) -> list[str]:
    """The topics this viewer may read: a display only the NOC's, the audit log only those
    who may see it, and a member page (of a member in `members`, those the snapshot knows) in
    the version for the viewer's own role. Refused 400 for a topic no page uses."""
    topics = []
    for topic in requested:
        kind, _, name = topic.partition(":")
        if topic not in PAGE_TOPICS and not (kind == "member" and name in members):
            raise Refused(400, f"No live view called {topic[:100]!r}")
        if identity.is_display:
            if topic == NOC:
                topics.append(topic)
        elif kind == "member":
            topics.append(member_topic(name, identity.role))
        elif topic == OPERATIONS:
            topics.append(operations_topic(identity.role))
        elif topic == MAINTENANCE:
            topics.append(maintenance_topic(identity.role))
        elif topic != AUDIT or can(identity.role, "audit"):
            topics.append(topic)
    return topics


@router.get("/stream", name="stream", include_in_schema=False)
@router.get("/noc/stream", name="noc_stream", include_in_schema=False)  # under the display cookie's path
async def stream(
    request: Request,
    hub: HubDep,
    settings: SettingsDep,
    identity: IdentityDep,
    topic: Annotated[list[str] | None, Query(max_length=MAX_TOPICS)] = None,
    v: Annotated[str | None, Query(max_length=40)] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> SubscriberResponse:
    # The version the page shows: its URL's on first connect, Last-Event-ID on a resume.
    members = frozenset(m.server_name for m in hub.snapshot.members)
    topics = allowed_topics(identity, topic or [], members)
    # The wall shows none of what every page shows (banner, operations, alerts): not sent there.
    pages = NOC not in topics
    try:
        # The credential behind the stream is checked every heartbeat: it ends when that does.
        subscriber = hub.subscribe(topics, identity.name, request.state.credential, pages)
    except TooManyStreams as exc:
        if not exc.owner:
            raise Refused(503, f"Too many open live views on this server ({settings.max_streams}): try later") from None
        raise Refused(
            429, f"Too many open live views for {identity.name} ({settings.max_streams_per_identity}): close some tabs"
        ) from None
    missed = [] if hub.current(last_event_id or v) else hub.refresh(topics, pages)
    return SubscriberResponse(hub, subscriber, missed)
