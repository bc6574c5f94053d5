"""An audit record names the cluster it is about, signed with it (webui/audit/log.py); records
from before name none, and verify as they were.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("cluster", sa.String(50), nullable=False, server_default=""))
        batch.create_index("ix_audit_log_cluster", ["cluster"])


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_cluster")
        batch.drop_column("cluster")
