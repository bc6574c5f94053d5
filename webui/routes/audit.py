"""The audit log for auditors and admins: filters, pages, live arrival, the chain's state, and
exports as CSV, JSON and JSON Lines."""

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Annotated, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from webui.audit.log import EXPORTED, AuditLog, AuditQuery, as_dict, search
from webui.audit.verify import verify
from webui.auth.roles import can, everywhere
from webui.clock import now
from webui.identity import Identity
from webui.routes.deps import EngineDep, IdentityDep, clusters_seen, render_page
from webui.views.audit import AUDIT, rows_view

router = APIRouter()

PER_PAGE = 50
OUTCOMES = ("requested", "accepted", "succeeded", "failed", "unknown", "denied")
VERIFY_EVERY = timedelta(minutes=1)  # a full check reads every record: not on every page view


def readable(request: Request, who: Identity) -> tuple[str, ...] | None:
    """The clusters whose records `who` may read, "" for the dashboard's own (logins, accounts)
    when its role in all may ("" names no cluster: role_in gives that role); None: every record."""
    if everywhere(who.roles, "audit"):
        return None
    own = ("",) if can(who.roles.role_in(""), "audit") else ()
    return own + tuple(clusters_seen(request, "audit"))


async def audit_query(
    request: Request, who: IdentityDep, actor: str = "", action: str = "", target: str = "", outcome: str = "",
    since: datetime | None = None, until: datetime | None = None, cluster: str = "",
) -> AuditQuery:
    """The filters; `cluster` keeps the records about that cluster (of several). Only the
    records the account may read ever come back, on the page and in the exports."""
    return AuditQuery(actor, action, target, outcome, cluster, since, until, readable(request, who))


QueryDep = Annotated[AuditQuery, Depends(audit_query)]


@router.get("/audit", response_class=HTMLResponse, name="audit")
async def audit(
    request: Request, engine: EngineDep, query: QueryDep, page: Annotated[int, Query(ge=1, le=100_000)] = 1
) -> HTMLResponse:
    records, total = await anyio.to_thread.run_sync(search, engine, query, (page - 1) * PER_PAGE, PER_PAGE)
    audit: AuditLog = request.state.audit
    if audit.verdict is None or now() - audit.verdict.checked_at > VERIFY_EVERY:
        audit.verdict = await anyio.to_thread.run_sync(verify, engine, audit.key, audit.checkpoints)
    filters = {k: v for k, v in request.query_params.items() if k != "page" and v}
    # New records stream in only on the first, unfiltered page; elsewhere they would not fit.
    # Each is sent to every audit page: only to those who may read every record.
    live = page == 1 and not filters and query.within is None
    return render_page(
        request, "audit/index.html", [AUDIT] if live else [],
        records=rows_view(records), total=total, page=page, pages=max(1, -(-total // PER_PAGE)),
        filters=filters, outcomes=OUTCOMES, live=live, verdict=audit.verdict, clusters=clusters_seen(request, "audit"),
    )


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's list), and
# anonymous users write some cells (the login name, the user agent).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet shows as text: a leading apostrophe where it would compute."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


@router.get("/audit.{fmt}", name="audit_export")
async def audit_export(engine: EngineDep, query: QueryDep, fmt: Literal["csv", "json", "jsonl"]) -> Response:
    records, _ = await anyio.to_thread.run_sync(search, engine, query, 0, None)
    rows = [as_dict(r) for r in records]
    headers = {"Content-Disposition": f'attachment; filename="incus-webui-audit.{fmt}"'}
    if fmt == "json":
        return Response(json.dumps(rows, indent=1), media_type="application/json", headers=headers)
    if fmt == "jsonl":  # one record a line, oldest first: the chain's order, for tools that stream
        lines = "".join(json.dumps(row, sort_keys=True) + "\n" for row in reversed(rows))
        return Response(lines, media_type="application/jsonl", headers=headers)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORTED)
    writer.writeheader()
    for row in rows:
        cells = {**row, "parameters": json.dumps(row["parameters"], sort_keys=True)}
        writer.writerow({k: spreadsheet_safe(v) for k, v in cells.items()})
    return Response(out.getvalue(), media_type="text/csv", headers=headers)
