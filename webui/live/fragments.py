"""The shape of a live page, so the hub renders pages it knows nothing about: a page declares
its topic and its fragments (event, template, the view model that feeds it, the changes that
redraw it), and the hub reads the declarations (webui/views/ holds them)."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from webui.live.snapshot import Changes, ClusterSnapshot

EVERYONE = "*"  # what every page shows: the banner, the operations chips, the cluster alerts
# A page showing controls is rendered once per role (not per viewer): each viewer's stream
# subscribes to its role's version.
ROLE_VIEWS = ("admin", "operator", "auditor")

# What a fragment shows, from the snapshot, what changed, its key (a member, an operation; ""
# for none) and the role whose version it is ("" for a page with one version). None: nothing.
View = Callable[[ClusterSnapshot, Changes, str, str], dict[str, object] | None]


@dataclass(frozen=True)
class Fragment:
    event: str  # the SSE event the page swaps on; "{key}" is replaced by the fragment's key
    template: str
    when: Callable[[Changes], bool]  # the changes that redraw it
    view: View = lambda snapshot, changes, key, role: {}
    # One fragment per key (members whose row changed, operations that moved), or one in all.
    keys: Callable[[ClusterSnapshot, Changes], Iterable[str]] | None = None


@dataclass(frozen=True)
class LivePage:
    """A page's live part: the topic its stream asks for and the fragments sent on it."""

    topic: str
    fragments: tuple[Fragment, ...]
    by_role: bool = False  # rendered once per role: topic "{topic}:{role}"
    keyed: bool = False  # one page per key (a member's page): topic "{topic}:{key}"
    permission: str = ""  # what a role needs to listen ("" for any role)
    everywhere: bool = False  # shows every cluster's news: the permission is needed in all of them
    display: bool = False  # what a wall display may listen to, and all it may
    common: bool = True  # a stream of this page also gets what every page shows

    def topic_for(self, key: str = "", role: str = "") -> str:
        """The topic a viewer subscribes to: the page's, with its key and its role's version."""
        return ":".join(part for part in (self.topic, key if self.keyed else "", role if self.by_role else "") if part)


@dataclass(frozen=True)
class Rendered:
    topic: str
    event: str
    template: str
    context: dict[str, object] = field(default_factory=dict)


def keys_of(topic: str, page: LivePage) -> str | None:
    """The key a keyed page's topic names (a member's name), or None for another page."""
    kind, _, rest = topic.partition(":")
    if not page.keyed or kind != page.topic:
        return None
    return (rest.rpartition(":")[0] if page.by_role else rest) or None


def pieces(
    pages: Iterable[LivePage], snapshot: ClusterSnapshot, changes: Changes, listening: frozenset[str] | None
) -> Iterator[Rendered]:
    """What `changes` redraws on `pages`, for the topics some stream listens to (`listening`,
    None for all): each fragment once per key and role version, in the pages' order."""
    for page in pages:
        for fragment in page.fragments:
            if not fragment.when(changes):
                continue
            keys = sorted(fragment.keys(snapshot, changes)) if fragment.keys else [""]
            for key in keys:
                for role in ROLE_VIEWS if page.by_role else ("",):
                    topic = page.topic_for(key, role)
                    if listening is not None and topic not in listening:
                        continue  # nobody has it open: a stream that opens later gets a refresh
                    context = fragment.view(snapshot, changes, key, role)
                    if context is not None:
                        yield Rendered(topic, fragment.event.format(key=key), fragment.template, context)
