"""One-time codes for verifying a new sender by SMS to the number on file.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_one_time_codes"),
        sa.ForeignKeyConstraint(
            ["tenancy_id"], ["tenancies.id"], name="fk_one_time_codes_tenancy_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_one_time_codes_tenant_id", ondelete="CASCADE"),
        sa.CheckConstraint("channel IN ('sms', 'whatsapp', 'telegram')", name="ck_one_time_codes_channel_allowed"),
    )
    op.create_index("ix_one_time_codes_sender", "one_time_codes", ["channel", "address", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_one_time_codes_sender", table_name="one_time_codes")
    op.drop_table("one_time_codes")
