"""The one rule of what is secret, and what each role reads of an operation."""

import json
import re
from pathlib import Path

import pytest

from webui.incus.models import ConfigMetadata, Member, Operation
from webui.services.configuration.secrets import CHANGED, HIDDEN, UNCHANGED, Secrets, operation_for

RECORDED = Path(__file__).parent.parent / "recorded" / "metadata_configuration_6.0.4.json"
METADATA = ConfigMetadata.from_incus("6.0.4", json.loads(RECORDED.read_text()))
RULE = Secrets()

# `incus exec s21c1 --env DB_PASSWORD=… -- sleep 4` as Incus shows the operation
# (internal/server/instance_exec.go: the websocket's Metadata()).
EXEC = {
    "id": "6f1c0e4e-2a53-4b8e-9d3e-0c5b1f0d2a11",
    "class": "websocket",
    "description": "Executing command",
    "status": "Running",
    "status_code": 103,
    "location": "member1",
    "may_cancel": False,
    "metadata": {
        "command": ["sleep", "4"],
        "environment": {"DB_PASSWORD": "pw-3b1c", "HOME": "/root", "PATH": "/usr/bin"},
        "fds": {"0": "fd0-secret-9a", "control": "control-secret-77"},
        "interactive": False,
    },
    "resources": {"instances": ["/1.0/instances/s21c1"]},
}


@pytest.mark.parametrize(
    "name",
    [
        "loki.auth.password", "openfga.api.token", "acme.provider.environment", "oidc.client.secret",
        "network.ovn.client_key", "storage.linstor.client_key", "logging.loki01.target.password",
        "authorization.openfga.api.token", "acme.eab.hmac", "instances.tpm.platform_key", "core.proxy_https",
    ],
)
def test_incus_keys_documented_as_credentials_are_secret(name):
    assert RULE.is_secret(name)


@pytest.mark.parametrize(
    "name",
    ["user.apikey", "user.passwd", "user.db_password", "user.API_TOKEN", "user.Credentials", "user.oauth_x",
     "user.mysecret", "USER.PASS"],
)
def test_user_keys_whose_name_says_credential_are_secret(name):
    assert RULE.is_secret(name)


@pytest.mark.parametrize(
    "name",
    ["cluster.join_token_expiry", "core.remote_token_expiry", "loki.auth.username", "oidc.client.id",
     "core.https_allowed_credentials", "user.description", "scheduler.instance", "cluster.max_voters"],
)
def test_other_keys_are_not(name):
    assert not RULE.is_secret(name)


def test_every_key_incus_describes_as_a_credential_is_secret():
    """By meaning: any 6.0.4 server key whose description speaks of a password, a token, a key
    or credentials to set is hidden (bools and expiries excepted: they hold none)."""
    said = re.compile(r"password|token|\bkey\b|environment variables", re.IGNORECASE)
    for key in METADATA.server:
        holds_one = key.type == "string" and not key.name.endswith("_expiry")
        if holds_one and said.search(f"{key.shortdesc} {key.longdesc}"):
            assert RULE.is_secret(key.name), key.name


def test_a_sites_own_keys_are_secret_by_name_or_pattern():
    site = Secrets.of(["scheduler.instance", "user.VAULT_*", " "])
    assert site.is_secret("scheduler.instance") and site.is_secret("user.vault_addr")
    assert not RULE.is_secret("user.vault_addr") and not site.is_secret("user.description")


def test_redact_hides_set_secrets_only():
    config = {"loki.auth.password": "hunter2", "openfga.api.token": "", "cluster.max_voters": "3"}
    assert RULE.redact(config) == {"loki.auth.password": HIDDEN, "openfga.api.token": "", "cluster.max_voters": "3"}


def test_members_show_their_secret_user_keys_to_admins_only():
    member = Member.model_validate({"server_name": "m1", "config": {"user.apikey": "k-1", "user.passwd": "p-1",
                                                                      "user.note": "hello"}})
    assert RULE.member_for("admin", member).config["user.apikey"] == "k-1"
    for role in ("operator", "auditor"):
        shown = RULE.member_for(role, member).config
        assert shown == {"user.apikey": HIDDEN, "user.passwd": HIDDEN, "user.note": "hello"}


def test_the_audit_log_records_that_a_secret_changed_never_its_value():
    changes = {"acme.provider.environment": "CLOUDFLARE_DNS_API_TOKEN=abc", "loki.auth.password": "",
               "user.apikey": "same", "cluster.max_voters": "5"}
    assert RULE.recorded(changes, {"user.apikey": "same"}) == {
        "acme.provider.environment": CHANGED, "loki.auth.password": "", "user.apikey": UNCHANGED,
        "cluster.max_voters": "5",
    }


def test_old_audit_parameters_are_scrubbed_at_any_depth():
    old = {"acme.provider.environment": "TOKEN=abc", "cluster.max_voters": "5",
           "description": "x", "config": {"user.passwd": "p", "user.api_token": HIDDEN, "user.note": "n"}}
    scrubbed, changed = RULE.scrubbed(old)
    assert changed and scrubbed == {"acme.provider.environment": CHANGED, "cluster.max_voters": "5",
                                    "description": "x", "config": {"user.passwd": CHANGED, "user.api_token": HIDDEN,
                                                                   "user.note": "n"}}
    assert RULE.scrubbed(scrubbed) == (scrubbed, False)


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_a_non_admin_reads_only_what_the_pages_show_of_an_operation(role):
    operation = Operation.model_validate(EXEC)
    shown = operation_for(role, operation)
    assert shown.metadata == {}
    assert (shown.description, shown.status, shown.location) == ("Executing command", "Running", "member1")
    text = shown.model_dump_json()
    for secret in ("pw-3b1c", "fd0-secret-9a", "control-secret-77", "sleep", "DB_PASSWORD"):
        assert secret not in text


def test_progress_still_reaches_everyone():
    operation = Operation.model_validate(
        {**EXEC, "metadata": {"fs_progress": "Copying: 10%", "progress": {"percent": "10"}, "secret": "s"}}
    )
    shown = operation_for("auditor", operation)
    assert shown.progress == "Copying: 10%" and shown.progress_figures == {"percent": "10"}
    assert "secret" not in (shown.metadata or {})


def test_an_admin_sees_the_command_but_environment_values_masked():
    shown = operation_for("admin", Operation.model_validate(EXEC))
    assert shown.metadata is not None
    assert shown.metadata["environment"] == {"DB_PASSWORD": HIDDEN, "HOME": HIDDEN, "PATH": HIDDEN}
    assert shown.metadata["command"] == ["sleep", "4"]
    assert "pw-3b1c" not in shown.model_dump_json()
