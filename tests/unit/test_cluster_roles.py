"""An account's role per cluster (webui/identity.py: Grants) and the routes about the whole
dashboard (webui/auth/roles.py: DASHBOARD_ROUTES), judged by all its roles."""

import pytest

from webui.auth.roles import DASHBOARD_ROUTES, ROUTE_PERMISSIONS, route_allows
from webui.filters import roles
from webui.identity import Grants, Identity

STAGING_ADMIN = Identity("dan", "none", "session", Grants("none", (("staging", "admin"),)))
OPERATOR_ADMIN_OF_PROD = Identity("ann", "operator", "session", Grants("operator", (("prod", "admin"),)))


def test_a_clusters_own_role_wins_there_and_none_means_nothing():
    grants = Grants("admin", (("lab", "none"), ("prod", "auditor")))
    assert [grants.role_in(c) for c in ("prod", "lab", "staging")] == ["auditor", "", "admin"]
    assert grants.roles() == {"admin", "auditor", ""}


def test_a_request_sees_the_role_in_its_cluster():
    assert STAGING_ADMIN.at("staging").role == "admin"
    assert STAGING_ADMIN.at("prod").role == ""
    assert route_allows("remove", STAGING_ADMIN.at("staging")) and not route_allows("members", STAGING_ADMIN.at("prod"))


def test_an_identity_without_grants_holds_its_role_everywhere():
    assert Identity("bob", "operator", "session").at("staging").role == "operator"
    assert Identity("display:wall", "display", "display").at("prod").role == "display"


@pytest.mark.parametrize("cluster", ["prod", "staging"])
def test_settings_want_admin_in_every_cluster_whichever_cluster_asks(cluster):
    assert not route_allows("settings", OPERATOR_ADMIN_OF_PROD.at(cluster))
    assert not route_allows("create_api_token", STAGING_ADMIN.at(cluster))
    assert route_allows("settings", Identity("alice", "admin", "session").at(cluster))


@pytest.mark.parametrize("cluster", ["prod", "staging"])
def test_the_overview_and_ones_own_account_want_a_role_in_one_cluster(cluster):
    for route in ("overview", "list_clusters", "second_factor", "docs"):
        assert route_allows(route, STAGING_ADMIN.at(cluster)), route
    assert not route_allows("overview", Identity("eve", "none", "session", Grants("none")).at(cluster))


def test_every_dashboard_route_is_a_route_with_a_permission():
    assert set(DASHBOARD_ROUTES) <= set(ROUTE_PERMISSIONS)


def test_roles_read_as_words():
    assert roles(Grants("operator")) == "operator"
    assert roles(STAGING_ADMIN.roles) == "admin in staging, no access elsewhere"
    assert roles(Grants("auditor", (("lab", "none"), ("prod", "operator")))) == (
        "no access in lab, operator in prod, auditor elsewhere"
    )
