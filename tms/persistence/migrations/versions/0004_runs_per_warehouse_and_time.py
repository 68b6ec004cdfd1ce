"""consolidation runs per warehouse and run time

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SUCCEEDED = sa.text("status = 'succeeded'")


def upgrade() -> None:
    with op.batch_alter_table("consolidation_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warehouse", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("run_at", sa.String(length=5), server_default="", nullable=False))
        batch_op.drop_index("uq_consolidation_runs_date_succeeded")
        batch_op.create_index(
            "uq_consolidation_runs_slot_succeeded",
            ["shipping_date", "warehouse", "run_at"],
            unique=True,
            sqlite_where=SUCCEEDED,
            postgresql_where=SUCCEEDED,
        )


def downgrade() -> None:
    # Runs of the same date at several warehouses or times cannot keep the old one-run-per-date index:
    # the downgrade keeps the earliest succeeded run of each date as succeeded and marks the others superseded.
    op.execute(
        "UPDATE consolidation_runs SET status = 'superseded' WHERE status = 'succeeded' AND id NOT IN "
        "(SELECT MIN(id) FROM consolidation_runs WHERE status = 'succeeded' GROUP BY shipping_date)"
    )
    with op.batch_alter_table("consolidation_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_consolidation_runs_slot_succeeded")
        batch_op.create_index(
            "uq_consolidation_runs_date_succeeded",
            ["shipping_date"],
            unique=True,
            sqlite_where=SUCCEEDED,
            postgresql_where=SUCCEEDED,
        )
        batch_op.drop_column("run_at")
        batch_op.drop_column("warehouse")
