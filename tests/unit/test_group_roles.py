"""Groups to a role (webui/auth/roles.py: role_for_groups), as oidc_roles and sso_roles map them,
and the settings that refuse a map that cannot work."""

import pytest
from pydantic import ValidationError

from webui.app import oidc_provider
from webui.auth.roles import role_for_groups
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
