"""Every cluster-scoped row names its cluster, so one dashboard can hold several: history,
maintenance runs, healing events, rebalancing moves, rolling upgrades, and the relayed live
snapshot. Rows from before are "" until the first cluster the dashboard serves adopts them
(webui/clusters.py); the pinned certificate's `name` already was the key ("cluster").

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLES = ("cluster_history", "maintenance_runs", "healing_events", "rebalance_moves", "rolling_upgrades")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("cluster", sa.String(50), nullable=False, server_default=""))
            batch.create_index(f"ix_{table}_cluster", ["cluster"])
    # What the watcher leader relays to the other processes: rewritten by it within seconds.
    op.drop_table("live_snapshot")
    op.create_table(
        "live_snapshot",
        sa.Column("cluster", sa.String(50), primary_key=True),
        sa.Column("field", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("live_snapshot")
    op.create_table(
        "live_snapshot",
        sa.Column("field", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_cluster")
            batch.drop_column("cluster")
