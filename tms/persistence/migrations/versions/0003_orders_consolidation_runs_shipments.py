"""orders, consolidation runs, shipments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consolidation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipping_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "summary", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("error", sa.String(length=2000), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consolidation_runs")),
    )
    with op.batch_alter_table("consolidation_runs", schema=None) as batch_op:
        batch_op.create_index(
            "uq_consolidation_runs_date_succeeded",
            ["shipping_date"],
            unique=True,
            sqlite_where=sa.text("status = 'succeeded'"),
            postgresql_where=sa.text("status = 'succeeded'"),
        )

    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("ships_on", sa.Date(), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("cost_cents", sa.Integer(), nullable=False),
        sa.Column("rate_card_id", sa.Integer(), nullable=False),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(["rate_card_id"], ["rate_cards.id"], name=op.f("fk_shipments_rate_card_id_rate_cards")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["consolidation_runs.id"], name=op.f("fk_shipments_run_id_consolidation_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_ships_on"), ["ships_on"], unique=False)

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_ref", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("warehouse", sa.String(length=40), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("line1", sa.String(length=300), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("consignee_key", sa.String(length=800), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=True),
        sa.Column("service", sa.String(length=40), nullable=True),
        sa.Column("pickup_point_id", sa.String(length=100), nullable=True),
        sa.Column("deliver_by", sa.Date(), nullable=True),
        sa.Column("deliver_after", sa.Date(), nullable=True),
        sa.Column("cart_value_cents", sa.Integer(), nullable=False),
        sa.Column(
            "items", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["consolidation_runs.id"], name=op.f("fk_orders_run_id_consolidation_runs")
        ),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"], name=op.f("fk_orders_shipment_id_shipments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("order_ref", name=op.f("uq_orders_order_ref")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_consignee_key"), ["consignee_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_status"))
        batch_op.drop_index(batch_op.f("ix_orders_run_id"))
        batch_op.drop_index(batch_op.f("ix_orders_consignee_key"))

    op.drop_table("orders")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_ships_on"))
        batch_op.drop_index(batch_op.f("ix_shipments_run_id"))

    op.drop_table("shipments")
    with op.batch_alter_table("consolidation_runs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_consolidation_runs_date_succeeded",
            sqlite_where=sa.text("status = 'succeeded'"),
            postgresql_where=sa.text("status = 'succeeded'"),
        )

    op.drop_table("consolidation_runs")
