"""orders: the pickup day the checkout sold and the weight it books (carriers' room at checkout)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("ships_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("weight_g", sa.Integer(), nullable=True))
        batch.create_index("ix_orders_pickup_booking", ["ships_on", "carrier", "warehouse"])


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_pickup_booking")
        batch.drop_column("weight_g")
        batch.drop_column("ships_on")
