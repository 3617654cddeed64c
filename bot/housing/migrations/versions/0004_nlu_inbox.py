"""The trainers' NLU inbox: redacted tenant messages awaiting a label, and how far the collector has read.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "nlu_inbox_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("redactions", sa.String(200), nullable=False, server_default=""),
        sa.Column("predicted_intent", sa.String(100), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("suggested_intent", sa.String(100), nullable=True),
        sa.Column("suggested_by", sa.String(120), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("decided_by", sa.String(120), nullable=True),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_nlu_inbox_items"),
        sa.UniqueConstraint("key", name="uq_nlu_inbox_items_key"),
        sa.CheckConstraint(
            "reason IN ('low_confidence', 'fallback', 'corrected')", name="ck_nlu_inbox_items_reason_allowed"
        ),
        sa.CheckConstraint(
            "status IN ('new', 'confirmed', 'relabelled', 'discarded')", name="ck_nlu_inbox_items_status_allowed"
        ),
    )
    op.create_index("ix_nlu_inbox_items_status", "nlu_inbox_items", ["status", "received_at"])
    op.create_table(
        "nlu_inbox_cursors",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_nlu_inbox_cursors"),
    )


def downgrade() -> None:
    op.drop_table("nlu_inbox_cursors")
    op.drop_index("ix_nlu_inbox_items_status", table_name="nlu_inbox_items")
    op.drop_table("nlu_inbox_items")
