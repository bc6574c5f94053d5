"""Every route of an app, however the installed FastAPI and Starlette nest them.

Older FastAPIs' `include_router` copied each route into `app.routes`; 0.165 leaves there one
`_IncludedRouter` entry per included router instead, whose routes (with their prefixes) only
`fastapi.routing.iter_route_contexts` unfolds, as FastAPI's own OpenAPI schema does. A test that
filters `app.routes` by type then sees only the app's own routes and checks nothing while
passing: so an entry this walk does not know is an error, never a skip.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Host, Mount, Route, WebSocketRoute

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # a FastAPI that copies included routes into app.routes: nothing to unfold
    iter_route_contexts = None


@dataclass(frozen=True)
class FoundRoute:
    name: str | None
    path: str  # the full path, prefixes of included routers and mounts added
    kind: str  # "api" (an APIRoute: runs FastAPI's dependencies), "http" (a plain Starlette Route:
    # runs none), "websocket" or "mount"
    methods: frozenset[str] = field(default=frozenset(), compare=False)  # GET, POST... (none for a mount)
    html: bool = field(default=False, compare=False)  # declared to answer HTML: a page or a dialog


def walk_routes(app: Starlette) -> list[FoundRoute]:
    """The app's routes and those of every router included or app mounted in it, in order."""
    return list(_walk(app.routes, ""))


def _walk(routes: Sequence[BaseRoute], prefix: str) -> Iterator[FoundRoute]:
    for route in routes:
        if isinstance(route, Host):
            yield from _walk(route.routes, prefix)
        elif isinstance(route, Mount | WebSocketRoute | Route):
            yield from _found(route, route.name, prefix + route.path)
        elif iter_route_contexts is not None and hasattr(route, "original_router"):
            # An included router: its routes, each with the path the app really serves it at.
            for context in iter_route_contexts([route]):
                yield from _found(context.original_route, context.name, prefix + context.path)
        else:
            raise TypeError(f"walk_routes does not know {type(route).__qualname__} ({route!r}): teach it")


def _found(route: Any, name: str | None, path: str) -> Iterator[FoundRoute]:
    if isinstance(route, Mount):  # /static; a mounted app or router also has routes of its own
        yield FoundRoute(name, path, "mount")
        yield from _walk(route.routes, path)
    elif isinstance(route, WebSocketRoute):
        yield FoundRoute(name, path, "websocket")
    elif isinstance(route, Route):
        methods = frozenset(route.methods or ())
        html = isinstance(route, APIRoute) and route.response_class is HTMLResponse
        yield FoundRoute(name, path, "api" if isinstance(route, APIRoute) else "http", methods, html)
    else:
        raise TypeError(f"walk_routes does not know {type(route).__qualname__} ({route!r}): teach it")


# One request per route. Member names and operations that do not exist, or values the
# dashboard refuses before Incus sees them: an allowed action answers 4xx (or "nothing to
# save") and changes nothing; a refused one answers 403 before anything reaches Incus. Names
# are well-formed: a malformed one is refused (400) before the role is looked at
# (tests/security/test_names.py).
NO_OPERATION = "00000000-0000-0000-0000-000000000000"
REQUESTS = {
    "overview": ("GET", "/clusters", None),
    "list_clusters": ("GET", "/api/v1/clusters", None),
    "members": ("GET", "/", None),
    "member": ("GET", "/members/member1", None),
    "member_hardware": ("GET", "/members/member1/hardware", None),
    "refresh_member_hardware": ("POST", "/members/member1/hardware", {"data": {}}),
    "history": ("GET", "/history", None),
    "instances": ("GET", "/instances?member=member1&status=Running", None),
    "cluster_rebalancing": ("GET", "/cluster/rebalancing", None),
    "maintenance": ("GET", "/maintenance", None),
    "maintenance_run": ("GET", f"/maintenance/{NO_OPERATION}", None),
    "list_maintenance": ("GET", "/api/v1/maintenance", None),
    "get_maintenance": ("GET", f"/api/v1/maintenance/{NO_OPERATION}", None),
    "acknowledge_maintenance": ("POST", f"/maintenance/{NO_OPERATION}/acknowledge", {"data": {}}),
    "rolling_upgrade": ("GET", "/upgrade", None),
    "rolling_upgrade_dialog": ("GET", "/upgrade/start", None),
    "rolling_upgrade_start": ("POST", "/upgrade/start", {"data": {"mode": "sideways"}}),
    "rolling_upgrade_cancel": ("POST", "/upgrade/cancel", {"data": {}}),
    "evacuate_dialog": ("GET", "/members/nosuch/evacuate", None),
    "evacuate": ("POST", "/members/nosuch/evacuate", {"data": {"mode": "stop"}}),
    "restore_dialog": ("GET", "/members/nosuch/restore", None),
    "restore": ("POST", "/members/nosuch/restore", {"data": {}}),
    "edit_dialog": ("GET", "/members/nosuch/edit", None),
    "edit": ("POST", "/members/nosuch/edit", {"data": {}}),
    "remove_dialog": ("GET", "/members/nosuch/remove", None),
    "remove": ("POST", "/members/nosuch/remove", {"data": {"confirm": "nosuch"}}),
    "list_members": ("GET", "/api/v1/cluster/members", None),
    "get_member": ("GET", "/api/v1/cluster/members/member1", None),
    "get_member_state": ("GET", "/api/v1/cluster/members/nosuch/state", None),
    "change_member_state": ("POST", "/api/v1/cluster/members/nosuch/state", {"json": {"action": "evacuate"}}),
    "put_member": ("PUT", "/api/v1/cluster/members/nosuch", {"json": {}}),
    "patch_member": ("PATCH", "/api/v1/cluster/members/nosuch", {"json": {}}),
    "delete_member": ("DELETE", "/api/v1/cluster/members/nosuch", None),
    "list_operations": ("GET", "/api/v1/operations", None),
    "get_operation": ("GET", f"/api/v1/operations/{NO_OPERATION}", None),
    "cancel_operation": ("POST", f"/operations/{NO_OPERATION}/cancel", {"data": {}}),
    "delete_operation": ("DELETE", f"/api/v1/operations/{NO_OPERATION}", None),
    "operations": ("GET", "/operations", None),
    "cluster": ("GET", "/cluster", None),
    "cluster_config_form": ("GET", "/cluster/config?q=voters", None),
    "save_cluster_config": ("POST", "/cluster/config", {"data": {"cluster.max_voters": "2"}}),
    "replace_certificate": ("POST", "/cluster/certificate", {"data": {"certificate": "x", "key": "y"}}),
    "get_server": ("GET", "/api/v1", None),
    "patch_server": ("PATCH", "/api/v1", {"json": {"config": {"cluster.max_voters": "2"}}}),
    "put_cluster_certificate": (
        "PUT", "/api/v1/cluster/certificate", {"json": {"cluster_certificate": "x", "cluster_certificate_key": "y"}}
    ),
    "groups": ("GET", "/cluster/groups", None),
    "group_create": ("POST", "/cluster/groups", {"data": {"name": ""}}),
    "group_edit": ("POST", "/cluster/groups/nosuch", {"data": {"description": "x"}}),
    "group_members": ("POST", "/cluster/groups/nosuch/members", {"data": {"add": "member1"}}),
    "group_rename": ("POST", "/cluster/groups/default/rename", {"data": {"new_name": "other"}}),
    "group_delete": ("POST", "/cluster/groups/default/delete", {"data": {}}),
    "list_groups": ("GET", "/api/v1/cluster/groups", None),
    "get_group": ("GET", "/api/v1/cluster/groups/default", None),
    "create_group": ("POST", "/api/v1/cluster/groups", {"json": {"name": "x", "members": ["nosuch"]}}),
    "put_group": ("PUT", "/api/v1/cluster/groups/nosuch", {"json": {}}),
    "rename_group": ("POST", "/api/v1/cluster/groups/nosuch", {"json": {"name": "other"}}),
    "delete_group": ("DELETE", "/api/v1/cluster/groups/nosuch", None),
    "joining": ("GET", "/cluster/joining", None),
    "token_create": ("POST", "/cluster/joining/tokens", {"data": {"name": " "}}),
    "token_revoke": ("POST", f"/cluster/joining/tokens/{NO_OPERATION}/revoke", {"data": {}}),
    "member_rename": ("POST", "/cluster/joining/rename", {"data": {"name": "nosuch", "new_name": "x"}}),
    "create_join_token": ("POST", "/api/v1/cluster/members", {"json": {"server_name": " "}}),
    "rename_member": ("POST", "/api/v1/cluster/members/nosuch", {"json": {"server_name": "x"}}),
    "noc": ("GET", "/noc", None),
    "noc_clusters": ("GET", "/noc/clusters", None),
    "docs": ("GET", "/docs", None),
    "openapi": ("GET", "/openapi.json", None),
    "audit": ("GET", "/audit", None),
    "audit_export": ("GET", "/audit.csv", None),
    "settings": ("GET", "/settings", None),
    "create_display": ("POST", "/settings/displays", {"data": {"name": ""}}),
    "revoke_display": ("POST", "/settings/displays/999999/revoke", {"data": {}}),
    "block_oidc_account": ("POST", "/settings/oidc/999999/block", {"data": {}}),
    "second_factor": ("GET", "/account/second-factor", None),
    "second_factor_submit": ("POST", "/account/second-factor", {"data": {"secret": "", "code": ""}}),
    "create_api_token": ("POST", "/settings/tokens", {"data": {"user": "nobody"}}),
    "revoke_api_token": ("POST", "/settings/tokens/999999/revoke", {"data": {}}),
    "warnings": ("GET", "/warnings", None),
    "acknowledge_warning": ("POST", f"/warnings/{NO_OPERATION}/acknowledge", {"data": {}}),
    "warning_delete_dialog": ("GET", f"/warnings/{NO_OPERATION}/delete", None),
    "warning_delete": ("POST", f"/warnings/{NO_OPERATION}/delete", {"data": {}}),
    "list_warnings": ("GET", "/api/v1/warnings?recursion=1", None),
    "get_warning": ("GET", f"/api/v1/warnings/{NO_OPERATION}", None),
    "put_warning": ("PUT", f"/api/v1/warnings/{NO_OPERATION}", {"json": {"status": "acknowledged"}}),
    "patch_warning": ("PATCH", f"/api/v1/warnings/{NO_OPERATION}", {"json": {"status": "acknowledged"}}),
    "delete_warning": ("DELETE", f"/api/v1/warnings/{NO_OPERATION}", None),
}

# Streams never end by themselves, so no walk GETs them: tests/security/test_streams.py and
# tests/integration/test_clusters.py ask them as each role.
STREAMS = {"stream", "noc_stream", "clusters_stream", "noc_clusters_stream"}


def under(cluster: str, path: str) -> str:
    """`path` (a REQUESTS one) as asked of one cluster of several (webui/middleware/cluster_paths.py)."""
    if path.startswith("/api/v1"):
        return f"/api/v1/clusters/{cluster}" + path.removeprefix("/api/v1")
    return f"/clusters/{cluster}" + path
