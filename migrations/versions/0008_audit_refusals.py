"""Anonymous refusals counted per address and minute, folded into one audit record each.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_refusals",
        sa.Column("key", sa.String(150), primary_key=True),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("forwarded_for", sa.String(100), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.Column("error", sa.String(200), nullable=False),
    )
    op.create_index("ix_audit_refusals_minute", "audit_refusals", ["minute"])


def downgrade() -> None:
    op.drop_index("ix_audit_refusals_minute", "audit_refusals")
    op.drop_table("audit_refusals")
