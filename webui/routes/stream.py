"""The one SSE stream of a page: HTML fragments from the hub, swapped in place by htmx."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from webui.auth.roles import can, everywhere
from webui.identity import Identity
from webui.live.fragments import EVERYONE, LivePage
from webui.live.hub import TooManyStreams
from webui.live.sse import SubscriberResponse
from webui.routes.deps import MAX_CLUSTERS, HubDep, IdentityDep, SettingsDep, clusters_asked
from webui.services.errors import Refused
from webui.settings import Settings

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
    with past_limits(settings):
        # The credential behind the stream is checked every heartbeat: it ends when that does.
        subscriber = hub.subscribe(topics, identity.name, request.state.credential, pages)
    missed = [] if hub.current(last_event_id or v) else hub.refresh(topics, pages)
    return SubscriberResponse([hub], subscriber, missed)


@router.get("/stream/clusters", name="clusters_stream", include_in_schema=False)
# The wall's, under the display cookie's path.
@router.get("/noc/clusters/stream", name="noc_clusters_stream", include_in_schema=False)
async def clusters_stream(
    request: Request,
    settings: SettingsDep,
    identity: IdentityDep,
    cluster: Annotated[list[str] | None, Query(max_length=MAX_CLUSTERS)] = None,
    topic: Annotated[list[str] | None, Query(max_length=MAX_TOPICS)] = None,
    v: Annotated[list[str] | None, Query(max_length=MAX_CLUSTERS)] = None,
) -> SubscriberResponse:
    """One stream for a page of several clusters (the wall, the overview): a browser holds
    six connections to a host, not a stream per cluster. Each cluster's hub renders its own
    fragments once per change, named after the cluster (webui/views/wall.py), into this one
    mailbox; a cluster whose Incus hangs only sends nothing, and holds back no other's."""
    held = clusters_asked(request, identity, cluster)
    hubs = [watched.hub for watched in held]
    # Pages of one cluster (a member's, keyed) have no place here: no keys are known.
    topics = allowed_topics(identity, topic or [], frozenset(), hubs[0].pages)
    with past_limits(settings):
        subscriber = hubs[0].subscribe(topics, identity.name, request.state.credential, pages=False)
        try:
            for hub in hubs[1:]:
                hub.admit(subscriber)
        except TooManyStreams:
            for hub in hubs:
                hub.unsubscribe(subscriber)
            raise
    # `v`: the version of each cluster the page shows, in order; a resume (Last-Event-ID names
    # one cluster's version only) draws every section again, from each hub's cached refresh.
    shown = v if v and len(v) == len(hubs) and not request.headers.get("last-event-id") else [""] * len(hubs)
    behind = [hub for hub, seen in zip(hubs, shown, strict=True) if not hub.current(seen)]
    missed = [frame for hub in behind for frame in hub.refresh(topics, False)]
    return SubscriberResponse(hubs, subscriber, missed)


@contextmanager
def past_limits(settings: Settings) -> Iterator[None]:
    """A stream past the identity's limit of open streams is refused with 429, past the
    process's with 503."""
    try:
        yield
    except TooManyStreams as exc:
        if not exc.owner:
            raise Refused(503, f"Too many open live views on this server ({settings.max_streams}): try later") from None
        raise Refused(
            429, f"Too many open live views for {exc.owner} ({settings.max_streams_per_identity}): close some tabs"
        ) from None
