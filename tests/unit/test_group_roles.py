"""Groups to a role (webui/auth/roles.py: role_for_groups), as oidc_roles and sso_roles map them,
and the settings that refuse a map that cannot work."""

import pytest
from pydantic import ValidationError

from webui.app import oidc_provider
from webui.auth.roles import grants_for_groups, role_for_groups
from webui.identity import Grants, Identity
from webui.middleware.identify import IdentifyMiddleware
from webui.settings import Settings

MAPPING = {"incus-admins": "admin", "staging-ops": {"staging": "operator", "prod": "auditor"}, "audit": "auditor"}


def test_the_most_powerful_role_granted_wins():
    assert role_for_groups(["audit", "incus-admins"], MAPPING, "prod") == "admin"


def test_a_per_cluster_role_counts_only_on_its_cluster():
    assert role_for_groups(["staging-ops"], MAPPING, "staging") == "operator"
    assert role_for_groups(["staging-ops"], MAPPING, "prod") == "auditor"
    assert role_for_groups(["staging-ops"], MAPPING, "default") == ""


def test_groups_that_map_to_nothing_give_no_role():
    assert role_for_groups(["everyone", "Incus-Admins"], MAPPING, "prod") == ""  # names are exact
    assert role_for_groups([], MAPPING, "prod") == ""


def test_the_cluster_is_named_by_the_setting_else_the_remote_else_how_it_is_reached():
    assert Settings(cluster_name="staging", remote="prod").cluster() == "staging"
    assert Settings(remote="prod").cluster() == "prod"
    assert Settings(addresses=["https://10.0.0.1:8443"]).cluster() == "default"
    assert Settings().cluster() == "local"  # the local unix socket


@pytest.mark.parametrize("roles", [{"g": "root"}, {"g": {"staging": "boss"}}])
def test_a_role_that_does_not_exist_is_refused_with_its_group(roles):
    with pytest.raises(ValidationError, match="oidc_roles: group 'g' maps to"):
        Settings(oidc_roles=roles)


def test_an_issuer_that_is_not_a_url_is_refused():
    with pytest.raises(ValidationError, match="oidc_issuer: the provider's issuer URL"):
        Settings(oidc_issuer="id.example.com")


def test_settings_that_cannot_sign_anyone_in_say_why():
    with pytest.raises(ValueError, match="oidc_client_id is not"):
        oidc_provider(Settings(oidc_issuer="https://id.example.com"))
    with pytest.raises(ValueError, match="must include openid"):
        oidc_provider(Settings(oidc_issuer="https://id.example.com", oidc_client_id="c", oidc_scopes="profile"))
    with pytest.raises(ValueError, match="no client secret"):
        oidc_provider(Settings(oidc_issuer="https://id.example.com", oidc_client_id="c"))


def test_the_client_secret_is_read_from_its_file_and_never_shown(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    settings = Settings(oidc_client_secret_file=secret)
    assert settings.oidc_secret() == "s3cret"
    assert "s3cret" not in repr(Settings(oidc_client_secret="s3cret"))
    with pytest.raises(ValueError, match="cannot read"):
        Settings(oidc_client_secret_file=tmp_path / "missing").oidc_secret()


def test_groups_give_a_role_in_all_and_one_of_its_own_where_a_cluster_gives_more():
    clusters = ["lab", "prod", "staging"]
    auditor = grants_for_groups(["audit", "staging-ops"], MAPPING, clusters)
    assert auditor == Grants("auditor", (("staging", "operator"),))  # prod's auditor is no more than all's
    grants = grants_for_groups(["staging-ops"], MAPPING, clusters)
    assert grants == Grants("none", (("prod", "auditor"), ("staging", "operator")))
    assert grants.role_in("lab") == ""


def test_groups_that_agree_in_every_cluster_held_give_one_role():
    assert grants_for_groups(["staging-ops"], MAPPING, ["staging"]) == Grants("operator")  # prod is not held
    assert grants_for_groups(["everyone"], MAPPING, ["staging"]) == Grants("none")


def sso_identity(cluster: str, groups: str) -> Identity | None:
    """Who the proxy's headers say is asking about `cluster` (the middleware, without a server)."""
    settings = Settings(sso_user_header="X-User", sso_roles=MAPPING, sso_trusted_proxies=["127.0.0.1"])
    headers = [(b"x-user", b"erin"), (b"x-remote-groups", groups.encode())]
    scope = {"type": "http", "path": "/", "headers": headers, "state": {"peer": "127.0.0.1", "cluster": cluster}}
    middleware = IdentifyMiddleware(lambda *_: None, None, settings)  # type: ignore[arg-type]
    middleware.clusters = ["lab", "prod", "staging"]  # the dashboard's, as [[clusters]] would name them
    identity = middleware.sso_identity(scope)
    return identity and identity.at(cluster)


def test_single_sign_on_gives_the_role_the_groups_map_in_the_requests_cluster():
    assert sso_identity("staging", "staging-ops").role == "operator"
    assert sso_identity("prod", "staging-ops").role == "auditor"
    assert sso_identity("lab", "staging-ops").role == ""  # known, with nothing to do there
    assert sso_identity("lab", "everyone") is None  # no role anywhere: no one


def test_a_role_per_cluster_in_sso_roles_must_exist_too():
    with pytest.raises(ValidationError, match="sso_roles: group 'g' maps to 'boss'"):
        Settings(sso_roles={"g": {"staging": "boss"}})
