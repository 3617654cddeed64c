"""Inbound messages carry their own processing state, so any replica can finish a message another one dropped.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Each inbound message moves received -> processing (by one replica, with a lease that expires) -> done. The row
holds the parsed message (`payload`) and its conversation, so a replica that never saw the webhook can process
it, in the conversation's order. Rows written before this revision were all handled by the single-host file
journal, so they start as "done".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
STATUSES = ("received", "processing", "done")


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as batch:
        batch.add_column(sa.Column("status", sa.String(16), server_default="done", nullable=False))
        batch.add_column(sa.Column("conversation", sa.String(128), nullable=True))
        batch.add_column(sa.Column("payload", JSON, nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False))
        batch.add_column(sa.Column("processed_at", TIMESTAMP, nullable=True))
        allowed = ", ".join(f"'{value}'" for value in STATUSES)
        batch.create_check_constraint("ck_inbound_messages_status_allowed", f"status IN ({allowed})")
    op.create_index("ix_inbound_messages_conversation", "inbound_messages", ["conversation", "id"])
    op.create_index("ix_inbound_messages_due", "inbound_messages", ["status", "lease_until"])


def downgrade() -> None:
    op.drop_index("ix_inbound_messages_due", table_name="inbound_messages")
    op.drop_index("ix_inbound_messages_conversation", table_name="inbound_messages")
    with op.batch_alter_table("inbound_messages") as batch:
        batch.drop_constraint("ck_inbound_messages_status_allowed", type_="check")
        for column in ("processed_at", "attempts", "lease_until", "claimed_by", "payload", "conversation", "status"):
            batch.drop_column(column)
