"""pickup-point directories: versions per carrier, the points as one JSON document

Revision ID: 0009p
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009p"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pickup_directories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("source_format", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["carrier_id"], ["carriers.id"], name=op.f("fk_pickup_directories_carrier_id_carriers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_directories")),
        sa.UniqueConstraint("carrier_id", "version", name="uq_pickup_directories_carrier_version"),
    )
    with op.batch_alter_table("pickup_directories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pickup_directories_carrier_id"), ["carrier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pickup_directories_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pickup_directories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pickup_directories_status"))
        batch_op.drop_index(batch_op.f("ix_pickup_directories_carrier_id"))
    op.drop_table("pickup_directories")
