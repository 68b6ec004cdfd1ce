"""orders needing attention: why a run could not plan them and never will

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attention", sa.String(length=300), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE orders SET status = 'pending' WHERE status = 'needs_attention'")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("attention")
