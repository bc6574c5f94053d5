"""The audit log keyed and whole: the socket peer beside the forwarded address, the key that
signed each record, one record per predecessor (no forks); login throttling counted in the
database.

Records written before this revision keep their plain SHA-256 hashes (`key_id` empty): the
first keyed record signs the last of them as its `prev_hash`, which seals them (rewriting any
would change that hash). A log that already forked is refused here, with the ids to look at.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    forks = op.get_bind().execute(
        sa.text("SELECT prev_hash, COUNT(*) FROM audit_log GROUP BY prev_hash HAVING COUNT(*) > 1")
    ).all()
    if forks:
        raise RuntimeError(
            f"the audit log forked ({len(forks)} records share a predecessor): run `incus-webui audit verify` "
            "on a copy, export the log, and start a new one before upgrading"
        )
    with op.batch_alter_table("audit_log") as table:
        table.add_column(sa.Column("forwarded_for", sa.String(100), nullable=False, server_default=""))
        table.add_column(sa.Column("key_id", sa.String(16), nullable=False, server_default=""))
        table.create_unique_constraint("uq_audit_log_prev_hash", ["prev_hash"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("audit_log") as table:
        table.drop_constraint("uq_audit_log_prev_hash", type_="unique")
        table.drop_column("key_id")
        table.drop_column("forwarded_for")
