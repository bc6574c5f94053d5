"""Secret values out of the audit log: records written before secrecy was decided by one rule
(webui/services/configuration/secrets.py) kept some in clear (`acme.provider.environment`, `user.apikey`,
`user.passwd`...). Each such value becomes "(changed)"; the chain is then re-signed from the
first rewritten record and a record says so (webui/audit/reanchor.py). A chain that does not
verify is refused, with what to do. Nothing to rewrite, nothing done.

Run it with no dashboard serving (`db upgrade` always is): the checkpoint file is rewritten.
The values are gone for good: the downgrade changes nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from webui.audit.keys import Checkpoints, checkpoint_path, load_key
from webui.audit.reanchor import rewrite
from webui.services.configuration.secrets import Secrets

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

REASON = (
    "migration 0007: secret configuration values recorded before secrecy was decided by meaning "
    "were replaced by \"(changed)\"; the chain was re-signed from the first of them"
)


def upgrade() -> None:
    attributes = op.get_context().config.attributes  # set by webui.db.upgrade
    secrets = Secrets.of(attributes.get("secret_keys", ()))
    connection = op.get_bind()
    key_file = attributes.get("audit_key_file")
    if key_file is None or not Path(key_file).exists():
        rows = connection.execute(sa.text("SELECT parameters FROM audit_log")).scalars()
        if any(secrets.scrubbed(json.loads(p) if isinstance(p, str) else p)[1] for p in rows):
            raise RuntimeError("the audit key is needed to rewrite the audit log: run `incus-webui db upgrade`")
        return
    key = load_key(Path(key_file))
    key_path = Path(key_file)
    checkpoints = Checkpoints(Path(attributes["audit_checkpoint_file"] or checkpoint_path(key_path)), key, key_path)
    rewrite(connection, key, checkpoints, secrets.scrubbed, REASON, "incus-webui db upgrade")


def downgrade() -> None:
    pass
