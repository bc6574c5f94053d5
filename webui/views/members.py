"""The member table and each member's page (one page per member, in each role's version:
it shows the buttons the role may use)."""

from typing import Any

from webui.live.fragments import Fragment, LivePage
from webui.live.snapshot import Changes, ClusterSnapshot
from webui.services.activity.recent import Recent
from webui.services.members.rules import available_actions
from webui.views.maintenance import asker

MEMBERS = "members"
MEMBER = "member"


def member_page_topic(name: str) -> str:
    """What a member's page asks the stream for; the stream subscribes it to its role's version."""
    return f"{MEMBER}:{name}"


def row(snapshot: ClusterSnapshot, changes: Changes, key: str, role: str) -> dict[str, object] | None:
    member = snapshot.member(key)
    return None if member is None else {"member": member}


TABLE = LivePage(
    MEMBERS,
    (
        # Members added or removed: the table is redrawn whole; else the rows that changed,
        # and the others' figures in one frame (a redrawn row has its figures already).
        Fragment("members", "members/_rows.html", lambda c: c.membership),
        Fragment("member-{key}", "members/_cells.html", lambda c: not c.membership, row, keys=lambda s, c: c.rows),
        Fragment(
            "member-metrics", "members/_metrics.html", lambda c: not c.membership and bool(c.metrics - c.rows),
            lambda snapshot, changes, key, role: {"names": sorted(changes.metrics - changes.rows)},
        ),
    ),
)


def detail_view(recent: Recent, snapshot: ClusterSnapshot, name: str, role: str) -> dict[str, Any]:
    """A member's page: the member (None once it left), and its evacuation or restore while it
    runs and for recent_seconds after."""
    run = recent.maintenance_of(snapshot, name)
    asked = asker(run, snapshot) if run else None
    member = snapshot.member(name)
    reasons = available_actions(snapshot, member) if member else {}
    return {"name": name, "member": member, "role": role, "run": run, "asked": asked, "reasons": reasons}


def member_page(recent: Recent) -> LivePage:
    return LivePage(
        MEMBER,
        (
            Fragment(
                "member-{key}-detail", "members/_detail.html", lambda c: bool(c.details),
                lambda snapshot, changes, key, role: detail_view(recent, snapshot, key, role),
                keys=lambda snapshot, c: c.details,
            ),
        ),
        by_role=True,
        keyed=True,
    )
