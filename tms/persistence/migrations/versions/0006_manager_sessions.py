"""manager sessions kept in the database

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "manager_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], name=op.f("fk_manager_sessions_key_id_api_keys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_manager_sessions_token_hash")),
    )
    with op.batch_alter_table("manager_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_manager_sessions_key_id"), ["key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_manager_sessions_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("manager_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_manager_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_manager_sessions_key_id"))
    op.drop_table("manager_sessions")
