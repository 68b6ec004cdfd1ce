"""tracking events: what the carriers report of each parcel, matched to its shipment or unmatched

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tracking_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("pickup_point", sa.String(length=200), nullable=False),
        sa.Column("held_until", sa.Date(), nullable=True),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_tracking_events_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint("carrier", "tracking_number", "code", "occurred_at", name="uq_tracking_events_event"),
    )
    op.create_index(op.f("ix_tracking_events_tracking_number"), "tracking_events", ["tracking_number"])
    op.create_index(op.f("ix_tracking_events_shipment_id"), "tracking_events", ["shipment_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_tracking_events_shipment_id"), table_name="tracking_events")
    op.drop_index(op.f("ix_tracking_events_tracking_number"), table_name="tracking_events")
    op.drop_table("tracking_events")
