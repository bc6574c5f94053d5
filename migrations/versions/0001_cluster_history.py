"""Cluster history: lifecycle events from Incus, with who made them.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("location", sa.String(255), nullable=False),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("requestor_username", sa.String(255), nullable=False),
        sa.Column("requestor_protocol", sa.String(50), nullable=False),
        sa.Column("requestor_address", sa.String(255), nullable=False),
        sa.Column("context", sa.JSON, nullable=False),
    )
    op.create_index("ix_cluster_history_occurred_at", "cluster_history", ["occurred_at"])
    op.create_index("ix_cluster_history_action", "cluster_history", ["action"])


def downgrade() -> None:
    op.drop_table("cluster_history")
