"""Member pages: the table of `incus cluster list`, and one member's `show` and `info`."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.live.hub import MEMBERS
from webui.routes.deps import HubDep, render_page

router = APIRouter()


@router.get("/", response_class=HTMLResponse, name="members")
async def members(request: Request, group: str = "") -> HTMLResponse:
    """`incus cluster list`; `?group=NAME` shows only the members of that cluster group."""
    return render_page(request, "members/index.html", [MEMBERS], group=group)


@router.get("/members/{name}", response_class=HTMLResponse, name="member")
async def member(request: Request, name: str, hub: HubDep) -> HTMLResponse:
    member = hub.snapshot.member(name)
    # An unknown name is a 404, but the page still streams: the member may be joining.
    status = 404 if member is None and hub.snapshot.reachable else 200
    role = request.state.identity.role
    # The page asks for "member:NAME"; the stream answers with its viewer's role's version
    # (routes/stream.py), and refuses a topic with the role in it (no page asks for one).
    return render_page(request, "members/detail.html", [f"member:{name}"], status, name=name, member=member, role=role)
