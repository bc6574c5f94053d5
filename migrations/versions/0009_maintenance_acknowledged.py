"""A failed maintenance run's acknowledgement: who saw it, and when (the wall display shows the
failure until then).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("maintenance_runs") as batch:
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.String(255), nullable=False, server_default=""))
    # Failures from before acknowledgements existed are history, not alarms: a wall display
    # must not turn red for them on upgrade.
    op.execute(
        "UPDATE maintenance_runs SET acknowledged_at = COALESCE(ended_at, started_at) WHERE outcome = 'failed'"
    )


def downgrade() -> None:
    with op.batch_alter_table("maintenance_runs") as batch:
        batch.drop_column("acknowledged_by")
        batch.drop_column("acknowledged_at")
