"""carriers, rate cards, fuel surcharges, api keys

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("display_prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "carriers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carriers")),
        sa.UniqueConstraint("code", name=op.f("uq_carriers_code")),
    )
    op.create_table(
        "fuel_surcharges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("percent_bp", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["carrier_id"], ["carriers.id"], name=op.f("fk_fuel_surcharges_carrier_id_carriers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fuel_surcharges")),
        sa.UniqueConstraint("carrier_id", "valid_from", name="uq_fuel_surcharges_carrier_date"),
    )
    with op.batch_alter_table("fuel_surcharges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fuel_surcharges_carrier_id"), ["carrier_id"], unique=False)

    op.create_table(
        "rate_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("source_format", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["carrier_id"], ["carriers.id"], name=op.f("fk_rate_cards_carrier_id_carriers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_cards")),
        sa.UniqueConstraint("carrier_id", "version", name="uq_rate_cards_carrier_version"),
    )
    with op.batch_alter_table("rate_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_cards_carrier_id"), ["carrier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rate_cards_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_cards_status"))
        batch_op.drop_index(batch_op.f("ix_rate_cards_carrier_id"))

    op.drop_table("rate_cards")
    with op.batch_alter_table("fuel_surcharges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fuel_surcharges_carrier_id"))

    op.drop_table("fuel_surcharges")
    op.drop_table("carriers")
    op.drop_table("api_keys")
