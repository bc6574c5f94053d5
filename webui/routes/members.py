"""Member pages: the table of `incus cluster list`, and one member's `show` and `info`."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from webui.routes.deps import HubDep, MemberName, render_page
from webui.views import Views
from webui.views.members import MEMBERS, detail_view, member_page_topic

router = APIRouter()


@router.get("/", response_class=HTMLResponse, name="members")
async def members(request: Request, group: str = "") -> HTMLResponse:
    """`incus cluster list`; `?group=NAME` shows only the members of that cluster group."""
    return render_page(request, "members/index.html", [MEMBERS], group=group)


@router.get("/members/{name}", response_class=HTMLResponse, name="member")
async def member(request: Request, name: MemberName, hub: HubDep) -> HTMLResponse:
    member = hub.snapshot.member(name)
    # An unknown name is a 404, but the page still streams: the member may be joining.
    status = 404 if member is None and hub.snapshot.reachable else 200
    role = request.state.identity.role
    views: Views = request.state.views
    detail = detail_view(views.recent, hub.snapshot, name, role)
    return render_page(request, "members/detail.html", [member_page_topic(name)], status, **detail)
