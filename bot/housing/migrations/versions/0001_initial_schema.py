"""Initial housing schema: tenants, homes, rent, repairs, hazards, casework, messaging, staff and audit.

Revision ID: 0001
Revises:
Create Date: 2025-11-21

Written to stand alone: the vocabularies and column types are spelled out here rather than imported from the
models, so later changes to the models cannot change what this revision creates. Conventions:
- every instant is `timestamptz` on PostgreSQL; on SQLite it is naive UTC text (the models' UTCDateTime);
- money is numeric(12, 2) on PostgreSQL and whole pence in an integer on SQLite (the models' Money);
- vocabularies are VARCHAR with a named CHECK, so adding a value later is an ordinary migration;
- constraint and index names follow the models' naming convention (pk_/fk_/uq_/ck_/ix_).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
MONEY = sa.Numeric(12, 2).with_variant(sa.BigInteger(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

CHANNELS = ("sms", "whatsapp", "telegram")
PROPERTY_TYPES = ("flat", "house", "bungalow", "maisonette", "bedsit")
PRIORITIES = ("emergency", "urgent", "routine")
URGENCIES = ("emergency", "high", "normal")
CASE_STATUSES = ("open", "in_progress", "closed")
REQUEST_STATUSES = ("pending", "applied", "rejected", "withdrawn")


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _reference() -> sa.Column:
    return sa.Column("reference", sa.String(12), nullable=False)


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, TIMESTAMP, nullable=nullable)


def _created_updated() -> list[sa.Column]:
    return [_at("created_at", nullable=False), _at("updated_at", nullable=False)]


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}_allowed")


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=f"pk_{table}")


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}", ondelete=ondelete)


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=f"uq_{table}_{'_'.join(columns)}")


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(name or f"ix_{table}_{columns[0]}", table, list(columns))


def upgrade() -> None:
    # --- people and homes ---
    op.create_table(
        "tenants",
        _id(),
        sa.Column("first_name", sa.String(80), nullable=False),
        sa.Column("last_name", sa.String(80), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("phone", sa.String(16), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        _flag("is_elderly"),
        _flag("has_disability"),
        _flag("has_young_children"),
        _flag("has_medical_need"),
        *_created_updated(),
        _pk("tenants"),
    )
    _index("tenants", "phone")

    op.create_table(
        "channel_identities",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        _at("verified_at"),
        _at("opted_out_at"),
        _at("last_inbound_at"),
        *_created_updated(),
        _pk("channel_identities"),
        _fk("channel_identities", "tenant_id", "tenants", ondelete="SET NULL"),
        _unique("channel_identities", "channel", "address"),
        _one_of("channel_identities", "channel", CHANNELS),
    )
    _index("channel_identities", "tenant_id")

    op.create_table(
        "staff_users",
        _id(),
        sa.Column("username", sa.String(60), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("failed_attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        _at("locked_until"),
        _at("last_login_at"),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        *_created_updated(),
        _pk("staff_users"),
        _unique("staff_users", "username"),
        _one_of("staff_users", "role", ("agent", "supervisor", "trainer", "admin")),
    )

    op.create_table(
        "properties",
        _id(),
        sa.Column("address_line1", sa.String(120), nullable=False),
        sa.Column("address_line2", sa.String(120), nullable=True),
        sa.Column("town", sa.String(80), nullable=False),
        sa.Column("postcode", sa.String(8), nullable=False),
        sa.Column("area", sa.String(60), nullable=False),
        sa.Column("bedrooms", sa.SmallInteger(), nullable=False),
        sa.Column("property_type", sa.String(16), nullable=False),
        _at("created_at", nullable=False),
        _pk("properties"),
        _one_of("properties", "property_type", PROPERTY_TYPES),
        sa.CheckConstraint("bedrooms >= 0 AND bedrooms <= 10", name="ck_properties_bedrooms_range"),
    )
    _index("properties", "postcode")
    _index("properties", "area")

    op.create_table(
        "tenancies",
        _id(),
        sa.Column("reference", sa.String(8), nullable=False),
        sa.Column("property_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("weekly_rent", MONEY, nullable=False),
        sa.Column("payment_reference", sa.String(20), nullable=False),
        *_created_updated(),
        _pk("tenancies"),
        _fk("tenancies", "property_id", "properties"),
        _unique("tenancies", "reference"),
        _unique("tenancies", "payment_reference"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_tenancies_end_after_start"),
        sa.CheckConstraint("weekly_rent >= 0", name="ck_tenancies_rent_not_negative"),
    )
    _index("tenancies", "property_id")

    op.create_table(
        "tenancy_tenants",
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _flag("is_lead"),
        _pk("tenancy_tenants", "tenancy_id", "tenant_id"),
        _fk("tenancy_tenants", "tenancy_id", "tenancies", ondelete="CASCADE"),
        _fk("tenancy_tenants", "tenant_id", "tenants", ondelete="CASCADE"),
    )
    _index("tenancy_tenants", "tenant_id")

    op.create_table(
        "verification_attempts",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("tenancy_reference", sa.String(8), nullable=True),
        sa.Column("tenancy_id", sa.Integer(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=False),
        _at("attempted_at", nullable=False),
        _pk("verification_attempts"),
        _fk("verification_attempts", "tenancy_id", "tenancies", ondelete="SET NULL"),
        _one_of("verification_attempts", "channel", CHANNELS),
    )
    _index("verification_attempts", "channel", "address", "attempted_at", name="ix_verification_attempts_sender")

    op.create_table(
        "available_homes",
        _id(),
        sa.Column("property_id", sa.Integer(), nullable=True),
        sa.Column("area", sa.String(60), nullable=False),
        sa.Column("bedrooms", sa.SmallInteger(), nullable=False),
        sa.Column("property_type", sa.String(16), nullable=False),
        sa.Column("weekly_rent", MONEY, nullable=False),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_created_updated(),
        _pk("available_homes"),
        _fk("available_homes", "property_id", "properties", ondelete="SET NULL"),
        _one_of("available_homes", "property_type", PROPERTY_TYPES),
        _one_of("available_homes", "status", ("available", "let", "withdrawn")),
        sa.CheckConstraint("bedrooms >= 0 AND bedrooms <= 10", name="ck_available_homes_bedrooms_range"),
    )
    _index("available_homes", "status", "area", "bedrooms", name="ix_available_homes_search")

    # --- rent ---
    # Sign convention: positive amounts increase arrears (charges), negative ones reduce them (payments).
    op.create_table(
        "rent_accounts",
        _id(),
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("balance", MONEY, server_default=sa.text("0"), nullable=False),
        sa.Column("rent_day", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        *_created_updated(),
        _pk("rent_accounts"),
        _fk("rent_accounts", "tenancy_id", "tenancies", ondelete="CASCADE"),
        _unique("rent_accounts", "tenancy_id"),
        sa.CheckConstraint("rent_day >= 0 AND rent_day <= 6", name="ck_rent_accounts_rent_day_weekday"),
    )

    op.create_table(
        "rent_transactions",
        _id(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("balance_after", MONEY, nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("method", sa.String(30), nullable=True),
        sa.Column("external_id", sa.String(64), nullable=True),
        _at("posted_at", nullable=False),
        _pk("rent_transactions"),
        _fk("rent_transactions", "account_id", "rent_accounts", ondelete="CASCADE"),
        _unique("rent_transactions", "account_id", "external_id"),
        _one_of("rent_transactions", "kind", ("charge", "payment", "adjustment")),
        sa.CheckConstraint("amount <> 0", name="ck_rent_transactions_amount_not_zero"),
    )
    _index("rent_transactions", "account_id", "effective_on", name="ix_rent_transactions_account_date")

    # --- repairs and hazards ---
    op.create_table(
        "appointment_slots",
        _id(),
        sa.Column("area", sa.String(60), nullable=False),
        sa.Column("slot_date", sa.Date(), nullable=False),
        sa.Column("period", sa.String(2), nullable=False),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column("booked", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        _pk("appointment_slots"),
        _unique("appointment_slots", "area", "slot_date", "period"),
        _one_of("appointment_slots", "period", ("AM", "PM")),
        sa.CheckConstraint("capacity >= 0", name="ck_appointment_slots_capacity_not_negative"),
        # The last line of defence for atomic booking: the counter can never pass the capacity.
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_appointment_slots_booked_within_capacity"),
    )

    op.create_table(
        "hazard_cases",
        _id(),
        _reference(),
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("hazard_type", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rooms", JSON, nullable=False),
        sa.Column("extent", sa.String(16), nullable=False),
        sa.Column("occupants", sa.Text(), nullable=True),
        sa.Column("health_effects", sa.Text(), nullable=True),
        _at("aware_at", nullable=False),
        _at("make_safe_by"),
        sa.Column("investigate_by", sa.Date(), nullable=True),
        sa.Column("investigation_ended_on", sa.Date(), nullable=True),
        sa.Column("summary_by", sa.Date(), nullable=True),
        sa.Column("safety_work_by", sa.Date(), nullable=True),
        sa.Column("preventative_start_by", sa.Date(), nullable=True),
        sa.Column("physical_start_by", sa.Date(), nullable=True),
        _at("made_safe_at"),
        _at("closed_at"),
        *_created_updated(),
        _pk("hazard_cases"),
        _fk("hazard_cases", "tenancy_id", "tenancies"),
        _unique("hazard_cases", "reference"),
        _one_of("hazard_cases", "hazard_type", ("damp_mould", "other")),
        _one_of("hazard_cases", "severity", ("emergency", "significant")),
        _one_of("hazard_cases", "status", ("reported", "investigated", "made_safe", "closed")),
        _one_of("hazard_cases", "extent", ("small", "moderate", "extensive")),
    )
    _index("hazard_cases", "tenancy_id")

    op.create_table(
        "repair_jobs",
        _id(),
        _reference(),
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(80), nullable=False),
        sa.Column("location", sa.String(80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reported_priority", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        _at("reported_at", nullable=False),
        _at("target_at", nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("hazard_case_id", sa.Integer(), nullable=True),
        _at("completed_at"),
        _at("cancelled_at"),
        *_created_updated(),
        _pk("repair_jobs"),
        _fk("repair_jobs", "tenancy_id", "tenancies"),
        _fk("repair_jobs", "slot_id", "appointment_slots"),
        _fk("repair_jobs", "hazard_case_id", "hazard_cases", ondelete="SET NULL"),
        _unique("repair_jobs", "reference"),
        _one_of("repair_jobs", "priority", PRIORITIES),
        _one_of("repair_jobs", "reported_priority", PRIORITIES),
        _one_of("repair_jobs", "status", ("reported", "booked", "in_progress", "completed", "cancelled")),
        _one_of("repair_jobs", "channel", CHANNELS),
    )
    _index("repair_jobs", "slot_id")
    _index("repair_jobs", "tenancy_id", "status", name="ix_repair_jobs_tenancy_status")

    op.create_table(
        "attachments",
        _id(),
        sa.Column("repair_id", sa.Integer(), nullable=True),
        sa.Column("hazard_case_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _at("created_at", nullable=False),
        _pk("attachments"),
        _fk("attachments", "repair_id", "repair_jobs", ondelete="CASCADE"),
        _fk("attachments", "hazard_case_id", "hazard_cases", ondelete="CASCADE"),
        sa.CheckConstraint(
            "(repair_id IS NOT NULL AND hazard_case_id IS NULL) OR (repair_id IS NULL AND hazard_case_id IS NOT NULL)",
            name="ck_attachments_one_parent",
        ),
        sa.CheckConstraint("size_bytes > 0", name="ck_attachments_size_positive"),
    )
    _index("attachments", "repair_id")
    _index("attachments", "hazard_case_id")

    # --- casework ---
    op.create_table(
        "complaints",
        _id(),
        _reference(),
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("desired_outcome", sa.Text(), nullable=False),
        _at("received_at", nullable=False),
        sa.Column("stage1_acknowledge_by", sa.Date(), nullable=False),
        sa.Column("stage1_respond_by", sa.Date(), nullable=False),
        _at("stage1_acknowledged_at"),
        sa.Column("stage1_extension_days", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        _at("stage1_responded_at"),
        _at("escalated_at"),
        sa.Column("escalation_reason", sa.Text(), nullable=True),
        sa.Column("stage2_acknowledge_by", sa.Date(), nullable=True),
        sa.Column("stage2_respond_by", sa.Date(), nullable=True),
        _at("stage2_acknowledged_at"),
        sa.Column("stage2_extension_days", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        _at("stage2_responded_at"),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        _at("closed_at"),
        *_created_updated(),
        _pk("complaints"),
        _fk("complaints", "tenancy_id", "tenancies"),
        _unique("complaints", "reference"),
        _one_of("complaints", "status", ("received", "acknowledged", "responded", "closed")),
        sa.CheckConstraint("stage IN (1, 2)", name="ck_complaints_stage_one_or_two"),
        # Complaint Handling Code: an extension is at most 10 working days per stage.
        sa.CheckConstraint(
            "stage1_extension_days >= 0 AND stage1_extension_days <= 10 "
            "AND stage2_extension_days >= 0 AND stage2_extension_days <= 10",
            name="ck_complaints_extension_cap",
        ),
    )
    _index("complaints", "tenancy_id")

    op.create_table(
        "asb_cases",
        _id(),
        _reference(),
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("occurred", sa.String(200), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        _flag("ongoing"),
        _flag("involves_threats"),
        _flag("hate_related"),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("reported_at", nullable=False),
        *_created_updated(),
        _pk("asb_cases"),
        _fk("asb_cases", "tenancy_id", "tenancies"),
        _unique("asb_cases", "reference"),
        _one_of(
            "asb_cases",
            "category",
            (
                "noise",
                "harassment",
                "threats",
                "hate",
                "violence",
                "drugs",
                "vandalism",
                "fly_tipping",
                "dog_fouling",
                "nuisance",
                "other",
            ),
        ),
        _one_of("asb_cases", "urgency", URGENCIES),
        _one_of("asb_cases", "status", CASE_STATUSES),
    )
    _index("asb_cases", "tenancy_id")

    op.create_table(
        "welfare_concerns",
        _id(),
        _reference(),
        sa.Column("tenancy_id", sa.Integer(), nullable=True),
        sa.Column("reporter_channel", sa.String(16), nullable=True),
        sa.Column("reporter_address", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("concern", sa.Text(), nullable=False),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("reported_at", nullable=False),
        *_created_updated(),
        _pk("welfare_concerns"),
        _fk("welfare_concerns", "tenancy_id", "tenancies"),
        _unique("welfare_concerns", "reference"),
        _one_of("welfare_concerns", "urgency", URGENCIES),
        _one_of("welfare_concerns", "status", CASE_STATUSES),
        _one_of("welfare_concerns", "reporter_channel", CHANNELS),
    )
    _index("welfare_concerns", "tenancy_id")

    op.create_table(
        "feedback",
        _id(),
        _reference(),
        sa.Column("tenancy_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        _at("created_at", nullable=False),
        _pk("feedback"),
        _fk("feedback", "tenancy_id", "tenancies"),
        _unique("feedback", "reference"),
        _one_of("feedback", "kind", ("compliment", "suggestion", "comment")),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="ck_feedback_rating_range"),
    )
    _index("feedback", "tenancy_id")

    op.create_table(
        "contact_change_requests",
        _id(),
        _reference(),
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("new_value", sa.String(254), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("requested_at", nullable=False),
        _at("resolved_at"),
        *_created_updated(),
        _pk("contact_change_requests"),
        _fk("contact_change_requests", "tenancy_id", "tenancies"),
        _fk("contact_change_requests", "tenant_id", "tenants"),
        _unique("contact_change_requests", "reference"),
        _one_of("contact_change_requests", "field", ("phone", "email", "name")),
        _one_of("contact_change_requests", "status", REQUEST_STATUSES),
    )
    _index("contact_change_requests", "tenancy_id")

    op.create_table(
        "tenancy_end_requests",
        _id(),
        _reference(),
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("notice_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reported_by_name", sa.String(120), nullable=True),
        sa.Column("reported_by_relationship", sa.String(60), nullable=True),
        sa.Column("forwarding_address", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _at("requested_at", nullable=False),
        *_created_updated(),
        _pk("tenancy_end_requests"),
        _fk("tenancy_end_requests", "tenancy_id", "tenancies"),
        _unique("tenancy_end_requests", "reference"),
        _one_of("tenancy_end_requests", "reason", ("moving", "transfer", "care", "bereavement", "other")),
        _one_of("tenancy_end_requests", "status", REQUEST_STATUSES),
        sa.CheckConstraint("end_date >= notice_date", name="ck_tenancy_end_requests_end_not_before_notice"),
    )
    _index("tenancy_end_requests", "tenancy_id")

    op.create_table(
        "income_tasks",
        _id(),
        _reference(),
        sa.Column("tenancy_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("offered_weekly_amount", MONEY, nullable=True),
        sa.Column("callback_preference", sa.String(120), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_by", sa.Date(), nullable=False),
        *_created_updated(),
        _pk("income_tasks"),
        _fk("income_tasks", "tenancy_id", "tenancies"),
        _unique("income_tasks", "reference"),
        _one_of("income_tasks", "kind", ("payment_plan", "money_advice_callback")),
        _one_of("income_tasks", "status", CASE_STATUSES),
        sa.CheckConstraint(
            "offered_weekly_amount IS NULL OR offered_weekly_amount > 0",
            name="ck_income_tasks_offer_positive",
        ),
    )
    _index("income_tasks", "tenancy_id")

    # --- messaging ---
    op.create_table(
        "conversations",
        _id(),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("channel_identity_id", sa.Integer(), nullable=True),
        _at("started_at", nullable=False),
        _at("last_message_at", nullable=False),
        _pk("conversations"),
        _fk("conversations", "channel_identity_id", "channel_identities", ondelete="SET NULL"),
        _unique("conversations", "sender_id"),
        _one_of("conversations", "channel", CHANNELS),
    )

    op.create_table(
        "handoffs",
        _id(),
        _reference(),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("tenancy_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        _at("requested_at", nullable=False),
        _at("claimed_at"),
        _at("closed_at"),
        sa.Column("closing_note", sa.Text(), nullable=True),
        _at("updated_at", nullable=False),
        _pk("handoffs"),
        _fk("handoffs", "conversation_id", "conversations"),
        _fk("handoffs", "tenancy_id", "tenancies"),
        _fk("handoffs", "claimed_by_id", "staff_users"),
        _unique("handoffs", "reference"),
        _one_of("handoffs", "status", ("waiting", "claimed", "closed")),
        _one_of(
            "handoffs",
            "reason",
            ("request_human", "emergency", "welfare", "bereavement", "fallback", "arrears_callback"),
        ),
        _one_of("handoffs", "urgency", URGENCIES),
        _one_of("handoffs", "channel", CHANNELS),
    )
    _index("handoffs", "conversation_id")
    _index("handoffs", "status", "requested_at", name="ix_handoffs_queue")
    # A partial unique index: one open (waiting or claimed) handoff per sender; closed ones do not count.
    op.create_index(
        "uq_handoffs_open_sender",
        "handoffs",
        ["sender_id"],
        unique=True,
        sqlite_where=sa.text("status <> 'closed'"),
        postgresql_where=sa.text("status <> 'closed'"),
    )

    op.create_table(
        "inbound_messages",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        _at("received_at", nullable=False),
        _pk("inbound_messages"),
        _unique("inbound_messages", "channel", "external_id"),
        _one_of("inbound_messages", "channel", CHANNELS),
    )

    op.create_table(
        "outbox",
        _id(),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("to_address", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("template_name", sa.String(64), nullable=True),
        sa.Column("template_variables", JSON, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        _at("next_attempt_at", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_message_id", sa.String(128), nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        _at("created_at", nullable=False),
        _at("sent_at"),
        _at("delivered_at"),
        _pk("outbox"),
        _unique("outbox", "idempotency_key"),
        _one_of("outbox", "channel", CHANNELS),
        _one_of("outbox", "status", ("queued", "sending", "sent", "failed", "delivered")),
    )
    _index("outbox", "status", "next_attempt_at", name="ix_outbox_due")
    _index("outbox", "provider_message_id")

    # --- records ---
    op.create_table(
        "audit_log",
        _id(),
        _at("at", nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(60), nullable=False),
        sa.Column("details", JSON, nullable=False),
        _pk("audit_log"),
    )
    _index("audit_log", "at")
    _index("audit_log", "subject", "at", name="ix_audit_log_subject")

    # Rows are created on first use of a prefix, so an empty database needs no seed data here.
    op.create_table(
        "reference_counters",
        sa.Column("prefix", sa.String(3), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        _pk("reference_counters", "prefix"),
    )


def downgrade() -> None:
    # Children before parents, so foreign keys never block a drop.
    for table in (
        "reference_counters",
        "audit_log",
        "outbox",
        "inbound_messages",
        "handoffs",
        "conversations",
        "income_tasks",
        "tenancy_end_requests",
        "contact_change_requests",
        "feedback",
        "welfare_concerns",
        "asb_cases",
        "complaints",
        "attachments",
        "repair_jobs",
        "hazard_cases",
        "appointment_slots",
        "rent_transactions",
        "rent_accounts",
        "available_homes",
        "verification_attempts",
        "tenancy_tenants",
        "tenancies",
        "properties",
        "staff_users",
        "channel_identities",
        "tenants",
    ):
        op.drop_table(table)
