"""The cluster page: upgrades, certificate, healing and rebalancing (live), the server
configuration form (global keys, or one member's local keys) and the certificate replacement."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse

from webui.auth.roles import can
from webui.clock import now
from webui.routes.deps import ActorDep, ContextDep, HubDep, SecretsDep, render_fragment, render_page
from webui.services.configuration import form as server_config
from webui.services.configuration import server
from webui.services.configuration.keys import CHOICES, HEALING_WARNING, default, input_kind
from webui.services.configuration.secrets import HIDDEN, Secrets
from webui.services.errors import SERVICE_ERRORS
from webui.services.maintenance import healing
from webui.services.maintenance.capacity import remote_pools
from webui.services.maintenance.rebalancing import assess, described, last_moves, member_figures, where_now
from webui.views.cluster import CLUSTER

router = APIRouter(prefix="/cluster")


def _config_context(request: Request, secrets: Secrets, shown: server_config.ConfigForm) -> dict[str, Any]:
    """The form's context; a role that may not see secrets gets none (not even as a value)."""
    admin = can(request.state.identity.role, "admin")
    hidden = set() if admin else server_config.secret_fields(secrets, shown.groups, shown.members)
    shown.current = {k: (HIDDEN if v else "") if k in hidden else v for k, v in shown.current.items()}
    return {
        "form": shown,
        "editable": admin,
        "hidden": hidden,
        "field_name": server_config.field_name,
        "input_kind": input_kind,
        "choices": CHOICES,
        "default": default,
        "healing_warning": HEALING_WARNING,
    }


@router.get("", response_class=HTMLResponse, name="cluster")
async def cluster(request: Request, hub: HubDep, secrets: SecretsDep, q: str = "") -> HTMLResponse:
    context = _config_context(request, secrets, server_config.form(hub.snapshot, q))
    return render_page(request, "cluster/index.html", [CLUSTER], **context, certificate="", key="")


@router.get("/config", response_class=HTMLResponse, name="cluster_config_form")
async def config_form(request: Request, hub: HubDep, secrets: SecretsDep, q: str = "") -> HTMLResponse:
    """The form again, with only the keys matching `q` (the search box)."""
    context = _config_context(request, secrets, server_config.form(hub.snapshot, q))
    return render_fragment(request, "cluster/_config.html", **context)


@router.post("/config", response_class=HTMLResponse, name="save_cluster_config")
async def save_config(request: Request, ctx: ContextDep, who: ActorDep) -> HTMLResponse:
    submitted = await request.form()
    values = {k: str(v) for k, v in submitted.items() if isinstance(v, str)}
    shown = await server_config.save(ctx, who, values, bool(submitted.get("healing_ack")))
    # 422 when anything was refused: htmx shows the form again, with what was typed.
    status = 422 if shown.error or shown.problems else 200
    if shown.error.startswith("Nothing to save"):
        status = 200
    return render_fragment(request, "cluster/_config.html", status, **_config_context(request, ctx.secrets, shown))


@router.get("/rebalancing", response_class=HTMLResponse, name="cluster_rebalancing")
async def rebalancing(request: Request, ctx: ContextDep, again: bool = False) -> HTMLResponse:
    """What Incus's rebalancing would decide now: asked when the section opens or is checked
    `again` (each member's resources and the storage pools, from Incus), never on its own."""
    snapshot = ctx.hub.snapshot
    (figures, problems), pools = await asyncio.gather(member_figures(ctx.client, snapshot), remote_pools(ctx.client))
    _, moves = await asyncio.to_thread(healing.history, ctx.engine, ctx.cluster, 10)
    seen = [(move, where_now(snapshot, move.project, move.instance)) for move in moves]
    return render_fragment(
        request, "cluster/_rebalancing.html",
        assessment=assess(snapshot, figures, pools, now(), problems), keys=described(snapshot),
        recorded=last_moves(snapshot), seen=seen, again=again,
    )


async def _text(form_value: Any) -> str:
    if isinstance(form_value, UploadFile):
        return (await form_value.read()).decode("utf-8", errors="replace")
    return str(form_value or "")


@router.post("/certificate", response_class=HTMLResponse, name="replace_certificate")
async def certificate(request: Request, ctx: ContextDep, who: ActorDep) -> HTMLResponse:
    """Replace the cluster certificate with a pasted or uploaded one (a file wins over the text)."""
    form = await request.form()
    certificate = (await _text(form.get("certificate_file"))) or str(form.get("certificate", ""))
    key = (await _text(form.get("key_file"))) or str(form.get("key", ""))
    try:
        info = await server.replace_certificate(ctx, who, certificate, key)
    except SERVICE_ERRORS as exc:
        return render_fragment(
            request, "cluster/_certificate_form.html", 422, error=exc.message, certificate=certificate, key=key
        )
    return render_fragment(request, "cluster/_certificate_form.html", replaced=info, certificate="", key="")
