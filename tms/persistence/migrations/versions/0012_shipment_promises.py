"""shipments watched after dispatch: the shopper's address and language on orders, a tracking token,
the promise and its prediction on shipments, and the parcels' tracking numbers indexed

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=2), nullable=True))
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("tracking_token", sa.String(length=43), nullable=True))
        batch.add_column(sa.Column("promised_by", sa.Date(), nullable=True))
        batch.add_column(sa.Column("predicted_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("promise_status", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("delivered_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("watched_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "shipment_parcels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_shipment_parcels_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_parcels")),
    )
    op.create_index("ix_shipment_parcels_number", "shipment_parcels", ["carrier", "tracking_number"])
    op.create_index(op.f("ix_shipment_parcels_shipment_id"), "shipment_parcels", ["shipment_id"])

    # Shipments made before: a token each, their parcels indexed, their promise from their orders.
    bind = op.get_bind()
    shipments = sa.table(
        "shipments",
        sa.column("id", sa.Integer),
        sa.column("carrier", sa.String),
        sa.column("tracking_numbers", sa.JSON),
        sa.column("tracking_token", sa.String),
        sa.column("promised_by", sa.Date),
    )
    orders = sa.table("orders", sa.column("shipment_id", sa.Integer), sa.column("deliver_by", sa.Date))
    parcels = sa.table(
        "shipment_parcels",
        sa.column("shipment_id", sa.Integer),
        sa.column("carrier", sa.String),
        sa.column("tracking_number", sa.String),
    )
    promised = dict(
        bind.execute(
            sa.select(orders.c.shipment_id, sa.func.min(orders.c.deliver_by))
            .where(orders.c.shipment_id.is_not(None))
            .group_by(orders.c.shipment_id)
        ).all()
    )
    for shipment_id, carrier, numbers in bind.execute(
        sa.select(shipments.c.id, shipments.c.carrier, shipments.c.tracking_numbers)
    ).all():
        bind.execute(
            shipments.update()
            .where(shipments.c.id == shipment_id)
            .values(tracking_token=secrets.token_urlsafe(24), promised_by=promised.get(shipment_id))
        )
        for number in numbers or ():
            bind.execute(parcels.insert().values(shipment_id=shipment_id, carrier=carrier, tracking_number=number))
    op.create_index(op.f("ix_shipments_tracking_token"), "shipments", ["tracking_token"], unique=True)
    op.create_index(op.f("ix_shipments_promise_status"), "shipments", ["promise_status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_shipments_promise_status"), table_name="shipments")
    op.drop_index(op.f("ix_shipments_tracking_token"), table_name="shipments")
    op.drop_index(op.f("ix_shipment_parcels_shipment_id"), table_name="shipment_parcels")
    op.drop_index("ix_shipment_parcels_number", table_name="shipment_parcels")
    op.drop_table("shipment_parcels")
    with op.batch_alter_table("shipments") as batch:
        for column in ("watched_at", "delivered_on", "promise_status", "predicted_on", "promised_by", "tracking_token"):
            batch.drop_column(column)
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("language")
        batch.drop_column("email")
