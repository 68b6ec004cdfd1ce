"""channels of API keys and orders

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

A key may name the shop or sales channel it works for; an order records the channel of the key
that registered it, so that a checkout key cancels only its own channel's orders. Keys created
before stay channels of their own (NULL); orders registered before have no channel (NULL), so only
managers may cancel them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=64), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("channel")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("channel")
