"""The cluster page: upgrades, certificate, healing and rebalancing (live), the server
configuration form (global keys, or one member's local keys) and the certificate replacement."""

from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse

from webui.live.hub import CLUSTER
from webui.live.snapshot import ClusterSnapshot
from webui.routes.deps import ActorDep, ContextDep, HubDep, render_fragment, render_page
from webui.services import server
from webui.services.config_keys import GLOBAL, HEALING_WARNING, LOCAL, enables_healing, visible_keys
from webui.services.errors import SERVICE_ERRORS
from webui.services.members import require_member

router = APIRouter(prefix="/cluster")


def _current(snapshot: ClusterSnapshot, target: str) -> dict[str, str]:
    """Values in force: the member in use's for global keys, the target's for its local ones."""
    server = snapshot.servers.get(target) if target else snapshot.server
    return {k: str(v) for k, v in (server.config if server else {}).items()}


def _config_context(snapshot: ClusterSnapshot, target: str) -> dict[str, Any]:
    extensions = snapshot.server.api_extensions if snapshot.server else None
    return {
        "target": target,
        "keys": visible_keys(extensions, LOCAL if target else GLOBAL) if extensions is not None else [],
        "current": _current(snapshot, target),
        "typed": {},
        "problems": {},
        "error": "",
        "saved": [],
        "healing_warning": HEALING_WARNING,
    }


@router.get("", response_class=HTMLResponse, name="cluster")
async def cluster(request: Request, hub: HubDep) -> HTMLResponse:
    return render_page(
        request, "cluster/index.html", [CLUSTER], **_config_context(hub.snapshot, ""), certificate="", key=""
    )


@router.get("/config", response_class=HTMLResponse, name="cluster_config_form")
async def config_form(request: Request, hub: HubDep, target: str = "") -> HTMLResponse:
    """The form for the global keys, or for one member's local keys (the member switch)."""
    if target:
        require_member(hub.snapshot, target)
    return render_fragment(request, "cluster/_config.html", **_config_context(hub.snapshot, target))


@router.post("/config", response_class=HTMLResponse, name="save_cluster_config")
async def save_config(request: Request, ctx: ContextDep, who: ActorDep) -> HTMLResponse:
    form = await request.form()
    target = str(form.get("target", ""))
    context = _config_context(ctx.hub.snapshot, target)
    # A key the form did not send is left alone (an empty field, on the other hand, unsets).
    typed = {k.name: str(form[k.name]).strip() for k in context["keys"] if k.name in form}
    changes = {name: value for name, value in typed.items() if value != context["current"].get(name, "")}

    def reply(status: int, **extra: Any) -> HTMLResponse:
        return render_fragment(request, "cluster/_config.html", status, **{**context, "typed": typed, **extra})

    if not changes:
        return reply(200, error="Nothing to save: every value is as it was.")
    if enables_healing(context["current"], changes) and not form.get("healing_ack"):
        return reply(422, problems={"cluster.healing_threshold": "Read the warning and tick the box to enable healing"},
                     error="Healing is not enabled until you confirm you understand its risk.")
    try:
        await server.update_config(ctx, who, changes, target)
    except server.ConfigRefused as exc:
        return reply(422, problems=exc.problems, error="Nothing was sent to Incus: fix the values marked below.")
    except SERVICE_ERRORS as exc:  # Incus's words; 422 whatever its status, the form is shown again
        return reply(422, error=exc.message)
    context = _config_context(ctx.hub.snapshot, target)  # the values now in force
    return render_fragment(request, "cluster/_config.html", **{**context, "saved": sorted(changes)})


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
