"""The audit log's live page: its rows come from the audit log as records are written, not
from the snapshot; only roles that may read it listen. Each row names who acted in words."""

from collections.abc import Iterable

from webui.audit.records import cluster_of
from webui.live.fragments import LivePage
from webui.live.hub import Hub
from webui.models import AuditRecord
from webui.services.accounts.people import Who, acted

AUDIT = "audit"
AUDIT_PAGE = LivePage(AUDIT, (), permission="audit", everywhere=True)  # every cluster's records


def rows_view(records: Iterable[AuditRecord]) -> list[tuple[AuditRecord, Who, str]]:
    """Each record, who acted in words, and the cluster it is about ("" for none)."""
    return [(record, acted(record.actor, record.via, record.source_address), cluster_of(record)) for record in records]


def show_record(hub: Hub, record: AuditRecord) -> None:
    """A new audit record, on the open audit pages (rendered once, like everything else)."""
    [(record, actor, cluster)] = rows_view([record])
    hub.publish_one(AUDIT, "audit", "audit/_row.html", {"record": record, "actor": actor, "cluster": cluster})
