"""shipments as records: status, tracking numbers, dispatch time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), server_default="planned", nullable=False))
        batch_op.add_column(
            sa.Column(
                "tracking_numbers",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default="[]",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_shipments_status"), ["status"], unique=False)
    # Shipments whose orders were all dispatched before shipments had a status were dispatched too.
    op.execute(
        "UPDATE shipments SET status = 'dispatched' WHERE EXISTS (SELECT 1 FROM orders WHERE orders.shipment_id = "
        "shipments.id) AND NOT EXISTS (SELECT 1 FROM orders WHERE orders.shipment_id = shipments.id "
        "AND orders.status <> 'dispatched')"
    )


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_status"))
        batch_op.drop_column("dispatched_at")
        batch_op.drop_column("tracking_numbers")
        batch_op.drop_column("status")
