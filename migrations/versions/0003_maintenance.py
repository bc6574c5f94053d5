"""Maintenance on record: evacuation and restore runs with their instances, healing events
(with the process that claimed their hooks), rebalancing moves, the guided rolling upgrade.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "maintenance_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("operation_id", sa.String(100), nullable=False, unique=True),
        sa.Column("member", sa.String(255), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False, index=True),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("requestor", sa.String(255), nullable=False),
        sa.Column("started_at", TZ, nullable=False, index=True),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False, index=True),
        sa.Column("error", sa.Text, nullable=False),
    )
    op.create_table(
        "maintenance_instances",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "run_id", sa.Integer, sa.ForeignKey("maintenance_runs.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("member", sa.String(255), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.UniqueConstraint("run_id", "project", "name"),
    )
    op.create_table(
        "healing_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("member", sa.String(255), nullable=False, index=True),
        sa.Column("occurred_at", TZ, nullable=False, index=True),
        sa.Column("event", sa.JSON, nullable=False),
        sa.Column("restored_at", TZ, nullable=True),
        sa.Column("claimed_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("member", "occurred_at"),
    )
    op.create_table(
        "rebalance_moves",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("occurred_at", TZ, nullable=False, index=True),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("instance", sa.String(255), nullable=False),
        sa.Column("from_member", sa.String(255), nullable=False),
        sa.Column("to_member", sa.String(255), nullable=False),
        sa.UniqueConstraint("project", "instance", "occurred_at"),
    )
    op.create_table(
        "rolling_upgrades",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("started_by", sa.String(100), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False, index=True),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("driver", sa.String(100), nullable=False),
        sa.Column("lease_until", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("rolling_upgrades", "rebalance_moves", "healing_events", "maintenance_instances", "maintenance_runs"):
        op.drop_table(table)
