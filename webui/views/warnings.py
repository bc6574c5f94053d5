"""The Warnings page (every warning, with Acknowledge and Delete where the role may) and the
count of new warnings every page's header shows."""

from typing import Any

from webui.live.fragments import Fragment, LivePage
from webui.live.snapshot import ClusterSnapshot
from webui.services.warnings.listing import SEVERITIES, STATUSES, Filters, filtered, members_warned, new_count

WARNINGS = "warnings"


def table_view(snapshot: ClusterSnapshot, role: str, filters: Filters = Filters()) -> dict[str, Any]:
    """Every warning, each row marked shown or not by `filters`: the hub renders the table once
    per role for every viewer, and each page's own filters hide rows (warnings.js)."""
    shown = {w.uuid for w in filtered(snapshot, filters)}
    return {"warnings": filtered(snapshot, Filters()), "shown": shown, "role": role}


def filters_view(snapshot: ClusterSnapshot, filters: Filters) -> dict[str, object]:
    choices = {"member": members_warned(snapshot), "severity": SEVERITIES, "status": STATUSES}
    return {"filters": filters, "choices": choices}


def count_view(snapshot: ClusterSnapshot) -> dict[str, object]:
    return {"warning_count": new_count(snapshot)}


PAGE = LivePage(
    WARNINGS,
    (
        Fragment(
            "warnings-table", "warnings/_table.html", lambda c: c.warnings,
            lambda snapshot, changes, key, role: table_view(snapshot, role),
        ),
    ),
    by_role=True,
)
# On every page (webui/views/common.py): the header's count.
COUNT = Fragment(
    "warnings-count", "warnings/_count.html", lambda c: c.warnings,
    lambda snapshot, changes, key, role: count_view(snapshot),
)
