"""Several clusters: an account's role in one cluster (over its role in all), and the
clusters a NOC wall display shows (none: all).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("cluster", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.UniqueConstraint("user_id", "cluster"),
    )
    with op.batch_alter_table("display_tokens") as batch:
        batch.add_column(sa.Column("clusters", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("display_tokens") as batch:
        batch.drop_column("clusters")
    op.drop_table("role_grants")
