"""The one SSE stream of a page: HTML fragments from the hub, swapped in place by htmx."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from webui.auth.roles import can, everywhere
from webui.identity import Identity
from webui.live.fragments import EVERYONE, LivePage
from webui.live.hub import TooManyStreams
from webui.live.sse import SubscriberResponse
from webui.routes.deps import HubDep, IdentityDep, SettingsDep
from webui.services.errors import Refused

router = APIRouter()

MAX_TOPICS = 8


def allowed_topics(
    identity: Identity, requested: list[str], keys: frozenset[str], pages: tuple[LivePage, ...]
) -> list[str]:
    """The topics this viewer may read, of the live `pages`: a display only the wall's, a page
    needing a permission only those whose role has it, a keyed page (a member's, of a member
    in `keys`, those the snapshot knows) and a page per role in the version for the viewer's
    own role. Any topic no page uses is refused (400), so a client cannot make the hub keep
    sets of topics nobody publishes to (each set is held, and its refresh cached). The role is
    the one in the stream's cluster; a page of every cluster's news needs it in all."""
    by_topic = {page.topic: page for page in pages if page.topic != EVERYONE}
    topics = []
    for topic in requested:
        kind, _, key = topic.partition(":")
        page = by_topic.get(kind)
        if page is None or (key not in keys if page.keyed else key or topic != kind):
            raise Refused(400, f"No live view called {topic[:100]!r}")
        if identity.is_display and not page.display:
            continue
        held = everywhere(identity.roles, page.permission) if page.everywhere else can(identity.role, page.permission)
        if not page.permission or held:
            topics.append(page.topic_for(key, identity.role))
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
    topics = allowed_topics(identity, topic or [], members, hub.pages)
    # The wall shows none of what every page shows (banner, operations, alerts): not sent there.
    pages = all(page.common for page in hub.pages if page.topic in topics)
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
