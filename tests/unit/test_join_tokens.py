"""A join token built from its operation as the incus CLI builds it (recorded from Incus 6.0.4)."""

from webui.incus.models import Operation
from webui.live.snapshot import ClusterSnapshot, merge_operations
from webui.services.configuration.secrets import operation_for
from webui.services.members.join_tokens import join_token

# `incus query /1.0/operations?recursion=1` after `incus cluster add newbie`, and the token it printed.
RECORDED = {
    "class": "token",
    "created_at": "2026-12-01T17:11:18.136471743Z",
    "description": "Executing operation",
    "err": "",
    "id": "cb14f2b0-72ab-4787-936b-3f27c8719021",
    "location": "member1",
    "may_cancel": True,
    "metadata": {
        "addresses": ["127.0.14.1:8443", "127.0.14.2:8443", "127.0.14.3:8443"],
        "expiresAt": "2026-12-01T20:11:18.12856306Z",
        "fingerprint": "fca4191563f405095a48aa98b04834946fff993b3c44c2669e334f39c9f5e6bd",
        "secret": "30a81962158ac571e6fb734c28c12c3c6e12882858c521ac89510f17784563d9",
        "serverName": "newbie",
    },
    "resources": {"cluster": None},
    "status": "Running",
    "status_code": 103,
    "updated_at": "2026-12-01T17:11:18.136471743Z",
}
PRINTED = (
    "eyJzZXJ2ZXJfbmFtZSI6Im5ld2JpZSIsImZpbmdlcnByaW50IjoiZmNhNDE5MTU2M2Y0MDUwOTVhNDhhYTk4YjA0ODM0OTQ2ZmZmOTkz"
    "YjNjNDRjMjY2OWUzMzRmMzljOWY1ZTZiZCIsImFkZHJlc3NlcyI6WyIxMjcuMC4xNC4xOjg0NDMiLCIxMjcuMC4xNC4yOjg0NDMiLCIx"
    "MjcuMC4xNC4zOjg0NDMiXSwic2VjcmV0IjoiMzBhODE5NjIxNThhYzU3MWU2ZmI3MzRjMjhjMTJjM2M2ZTEyODgyODU4YzUyMWFjODk1"
    "MTBmMTc3ODQ1NjNkOSIsImV4cGlyZXNfYXQiOiIyMDI2LTEyLTAxVDIwOjExOjE4LjEyODU2MzA2WiJ9"
)


def test_the_token_is_the_one_the_cli_prints():
    token = join_token(Operation.model_validate(RECORDED))
    assert token.token == PRINTED
    assert token.server_name == "newbie" and token.expires_at is not None and token.expires_at.hour == 20


def test_pending_tokens_are_kept_and_listed():
    operation = Operation.model_validate(RECORDED)
    snapshot = ClusterSnapshot(operations=merge_operations((), [operation], at=operation.created_at))
    assert [op.id for op in snapshot.join_tokens] == [operation.id]
    assert operation.label == "Join token for newbie"


def test_only_admins_read_the_secret():
    operation = Operation.model_validate(RECORDED)
    assert operation_for("admin", operation).metadata["secret"] == RECORDED["metadata"]["secret"]
    for role in ("operator", "auditor"):
        shown = operation_for(role, operation).metadata
        assert "secret" not in shown and "fingerprint" not in shown and shown["serverName"] == "newbie"
