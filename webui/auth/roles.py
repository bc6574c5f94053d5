"""Roles and what each may do: one table, checked on every route (default deny)."""

from collections.abc import Iterable, Mapping

from webui.identity import DISPLAY, NO_ROLE, Grants, Identity

ROLES = {
    "admin": "Everything: also remove members, cluster configuration, certificate, users and displays.",
    "operator": "Day-to-day maintenance: evacuate, restore, roles and member edits.",
    "auditor": "Sees every page and the audit log; changes nothing.",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "public": frozenset({"", *ROLES, DISPLAY}),
    "view": frozenset(ROLES),
    "noc": frozenset({*ROLES, DISPLAY}),
    "audit": frozenset({"admin", "auditor"}),
    "operate": frozenset({"admin", "operator"}),  # evacuate, restore, roles, member edit
    "admin": frozenset({"admin"}),  # remove, force-remove, cluster config, certificate, users
}

# Every route, by name, and the permission it needs. A route missing here is refused to
# everyone (and a test fails), so a new route cannot be left open by accident.
ROUTE_PERMISSIONS: dict[str, str] = {
    "login": "public",
    "login_submit": "public",
    "logout": "public",
    "login_code": "public",  # a login half done: the step's own cookie is checked there
    "login_code_submit": "public",
    "login_enrol": "public",
    "login_enrol_submit": "public",
    "second_factor": "view",  # a signed-in account's own second factor
    "second_factor_submit": "view",
    "oidc_login": "public",
    "oidc_callback": "public",
    "healthz": "public",
    "metrics": "public",
    "docs": "view",  # the API's docs and schema: for those who may use the API
    "openapi": "view",
    "overview": "view",
    "list_clusters": "view",
    "members": "view",
    "member": "view",
    "member_hardware": "view",  # read once from Incus, then kept
    "refresh_member_hardware": "view",  # reads Incus again; changes nothing
    "history": "view",
    "instances": "view",
    "cluster_rebalancing": "view",
    "maintenance": "view",
    "maintenance_run": "view",
    "acknowledge_maintenance": "operate",
    "list_maintenance": "view",
    "get_maintenance": "view",
    "rolling_upgrade": "view",
    "rolling_upgrade_dialog": "admin",
    "rolling_upgrade_start": "admin",
    "rolling_upgrade_cancel": "admin",
    "stream": "noc",  # every page's stream; the topics a display may read are checked there
    "noc_stream": "noc",  # the same, for the NOC view: under /noc, where a display's cookie goes
    "clusters_stream": "noc",  # one stream of several clusters' (the overview's); topics checked there
    "noc_clusters_stream": "noc",  # the same, for the wall of several clusters: under /noc
    "evacuate_dialog": "operate",
    "evacuate": "operate",
    "restore_dialog": "operate",
    "restore": "operate",
    "edit_dialog": "operate",
    "edit": "operate",
    "remove_dialog": "admin",
    "remove": "admin",
    "list_members": "view",
    "get_member": "view",
    "get_member_state": "view",
    "change_member_state": "operate",
    "put_member": "operate",
    "patch_member": "operate",
    "delete_member": "admin",
    "list_operations": "view",
    "get_operation": "view",
    "audit": "audit",
    "audit_export": "audit",
    "cluster": "view",
    "cluster_config_form": "view",
    "operations": "view",
    "get_server": "view",
    "save_cluster_config": "admin",
    "replace_certificate": "admin",
    "patch_server": "admin",
    "put_cluster_certificate": "admin",
    "cancel_operation": "operate",
    "delete_operation": "operate",
    "groups": "view",
    "group_create": "admin",
    "group_edit": "admin",
    "group_members": "admin",
    "group_rename": "admin",
    "group_delete": "admin",
    "list_groups": "view",
    "get_group": "view",
    "create_group": "admin",
    "put_group": "admin",
    "rename_group": "admin",
    "delete_group": "admin",
    "joining": "view",  # pending tokens (names and expiry, never the secret) for everyone
    "token_create": "admin",
    "token_revoke": "admin",
    "member_rename": "admin",
    "create_join_token": "admin",
    "rename_member": "admin",
    "noc": "noc",
    "noc_clusters": "noc",
    "settings": "admin",
    "create_api_token": "admin",
    "revoke_api_token": "admin",
    "create_display": "admin",
    "revoke_display": "admin",
    "block_oidc_account": "admin",
    "warnings": "view",
    "acknowledge_warning": "operate",
    "warning_delete_dialog": "admin",
    "warning_delete": "admin",
    "list_warnings": "view",
    "get_warning": "view",
    "put_warning": "operate",  # acknowledged or new: what an operator acknowledges
    "patch_warning": "operate",
    "delete_warning": "admin",
}


# Routes about the whole dashboard rather than one cluster, whatever cluster's prefix they are
# asked under. EVERY: the permission must be held in every cluster (accounts, tokens and
# displays reach them all). ANY: in one at least; the page shows only the clusters where it is
# (the overview's cards, the audit log's records), or only the account's own (second factor).
EVERY, ANY = "every", "any"
DASHBOARD_ROUTES: dict[str, str] = {
    "overview": ANY, "list_clusters": ANY, "docs": ANY, "openapi": ANY, "second_factor": ANY,
    "second_factor_submit": ANY, "audit": ANY, "audit_export": ANY, "settings": EVERY, "create_api_token": EVERY,
    "revoke_api_token": EVERY, "create_display": EVERY, "revoke_display": EVERY, "block_oidc_account": EVERY,
    # Pages of several clusters: each shows only the clusters where the role may see it.
    "noc_clusters": ANY, "clusters_stream": ANY, "noc_clusters_stream": ANY,
}


def role_for_groups(groups: Iterable[str], mapping: Mapping[str, str | Mapping[str, str]], cluster: str) -> str:
    """The most powerful role the groups are given ("" for none): `mapping` is a group's role,
    or its role per cluster name, of which only `cluster`'s counts."""
    granted = set()
    for group in groups:
        role = mapping.get(group, "")
        granted.add(role if isinstance(role, str) else role.get(cluster, ""))
    return next((r for r in ROLES if r in granted), "")  # ROLES is ordered, most powerful first


def grants_for_groups(
    groups: Iterable[str], mapping: Mapping[str, str | Mapping[str, str]], clusters: Iterable[str]
) -> Grants:
    """The roles the groups give in each of the dashboard's `clusters` (the most powerful wins,
    as for one cluster): one role when they all agree, else the role in all and each cluster's own."""
    groups = list(groups)
    everywhere = role_for_groups(groups, mapping, "") or NO_ROLE
    own = {cluster: role_for_groups(groups, mapping, cluster) or NO_ROLE for cluster in clusters}
    if len(set(own.values())) == 1:
        return Grants(next(iter(own.values())))
    return Grants(everywhere, tuple((c, role) for c, role in sorted(own.items()) if role != everywhere))


def can(role: str, permission: str) -> bool:
    return role in PERMISSIONS.get(permission, frozenset())


def anywhere(grants: Grants, permission: str) -> bool:
    """Whether the permission is held in one cluster at least."""
    return any(can(role, permission) for role in grants.roles())


def everywhere(grants: Grants, permission: str) -> bool:
    """Whether the permission is held in every cluster."""
    return all(can(role, permission) for role in grants.roles())


def clusters_where(grants: Grants, permission: str, names: Iterable[str]) -> list[str]:
    """Of the clusters `names`, those where the permission is held."""
    return [name for name in names if can(grants.role_in(name), permission)]


def route_allows(route_name: str, who: Identity | None) -> bool:
    """Whether `who` may use the route: with its role in the request's cluster, or for a
    dashboard-wide route by DASHBOARD_ROUTES's rule."""
    permission = ROUTE_PERMISSIONS.get(route_name)
    if permission is None:
        return False
    if who is None:
        return can("", permission)
    rule = DASHBOARD_ROUTES.get(route_name)
    if rule is None:
        return can(who.role, permission)
    return (everywhere if rule == EVERY else anywhere)(who.roles, permission)
