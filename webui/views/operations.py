"""The operations page: every operation Incus runs or ran lately, Cancel where the role may."""

from webui.live.fragments import Fragment, LivePage

OPERATIONS = "operations"
PAGE = LivePage(
    OPERATIONS,
    (
        Fragment(
            "operations-table", "operations/_table.html", lambda c: bool(c.operations or c.membership),
            lambda snapshot, changes, key, role: {"role": role},
        ),
    ),
    by_role=True,
)
