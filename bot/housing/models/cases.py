"""Casework a tenant opens by message: complaints, anti-social behaviour, welfare concerns, feedback, requests."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Date, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import relationship
from sqlalchemy.sql.expression import false, text

from bot.housing.coltypes import EnumText, Money, UTCDateTime
from bot.housing.enums import (
    AsbCategory,
    CaseStatus,
    Channel,
    ComplaintStatus,
    ContactField,
    FeedbackKind,
    IncomeTaskKind,
    RequestStatus,
    TenancyEndReason,
    Urgency,
)
from bot.housing.models.base import Base, created_at_column, enum_check, updated_at_column


class Complaint(Base):
    """A complaint under the Housing Ombudsman's Complaint Handling Code, at stage 1 or 2."""

    __tablename__ = "complaints"
    __table_args__ = (
        enum_check("status", ComplaintStatus),
        CheckConstraint("stage IN (1, 2)", name="stage_one_or_two"),
        CheckConstraint(
            "stage1_extension_days >= 0 AND stage1_extension_days <= 10 "
            "AND stage2_extension_days >= 0 AND stage2_extension_days <= 10",
            name="extension_cap",
        ),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=False, index=True)
    stage = Column(SmallInteger, nullable=False)
    status = Column(EnumText(ComplaintStatus, 16), nullable=False)
    what_happened = Column(Text, nullable=False)
    desired_outcome = Column(Text, nullable=False)
    received_at = Column(UTCDateTime(), nullable=False)
    stage1_acknowledge_by = Column(Date, nullable=False)
    stage1_respond_by = Column(Date, nullable=False)
    stage1_acknowledged_at = Column(UTCDateTime(), nullable=True)
    stage1_extension_days = Column(SmallInteger, nullable=False, server_default=text("0"))
    stage1_responded_at = Column(UTCDateTime(), nullable=True)
    escalated_at = Column(UTCDateTime(), nullable=True)
    escalation_reason = Column(Text, nullable=True)
    stage2_acknowledge_by = Column(Date, nullable=True)
    stage2_respond_by = Column(Date, nullable=True)
    stage2_acknowledged_at = Column(UTCDateTime(), nullable=True)
    stage2_extension_days = Column(SmallInteger, nullable=False, server_default=text("0"))
    stage2_responded_at = Column(UTCDateTime(), nullable=True)
    extension_reason = Column(Text, nullable=True)
    closed_at = Column(UTCDateTime(), nullable=True)
    created_at = created_at_column()
    updated_at = updated_at_column()

    tenancy = relationship("Tenancy")

    @property
    def acknowledge_by(self) -> object:
        """Return the acknowledgement deadline of the current stage."""
        return self.stage2_acknowledge_by if self.stage == 2 else self.stage1_acknowledge_by

    @property
    def respond_by(self) -> object:
        """Return the response deadline of the current stage."""
        return self.stage2_respond_by if self.stage == 2 else self.stage1_respond_by


class AsbCase(Base):
    """A report of anti-social behaviour; threats or hate make it urgent."""

    __tablename__ = "asb_cases"
    __table_args__ = (
        enum_check("category", AsbCategory),
        enum_check("urgency", Urgency),
        enum_check("status", CaseStatus),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=False, index=True)
    category = Column(EnumText(AsbCategory, 16), nullable=False)
    description = Column(Text, nullable=False)
    occurred = Column(String(200), nullable=False)
    location = Column(String(200), nullable=False)
    ongoing = Column(Boolean, nullable=False, server_default=false())
    involves_threats = Column(Boolean, nullable=False, server_default=false())
    hate_related = Column(Boolean, nullable=False, server_default=false())
    urgency = Column(EnumText(Urgency, 16), nullable=False)
    status = Column(EnumText(CaseStatus, 16), nullable=False)
    reported_at = Column(UTCDateTime(), nullable=False)
    created_at = created_at_column()
    updated_at = updated_at_column()


class WelfareConcern(Base):
    """A worry about someone's safety or welfare (safeguarding), from a tenant or anyone else."""

    __tablename__ = "welfare_concerns"
    __table_args__ = (
        enum_check("urgency", Urgency),
        enum_check("status", CaseStatus),
        enum_check("reporter_channel", Channel),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=True, index=True)
    reporter_channel = Column(EnumText(Channel, 16), nullable=True)
    reporter_address = Column(String(64), nullable=True)
    subject = Column(String(200), nullable=False)
    concern = Column(Text, nullable=False)
    location = Column(String(200), nullable=True)
    urgency = Column(EnumText(Urgency, 16), nullable=False)
    status = Column(EnumText(CaseStatus, 16), nullable=False)
    reported_at = Column(UTCDateTime(), nullable=False)
    created_at = created_at_column()
    updated_at = updated_at_column()


class Feedback(Base):
    """A compliment, suggestion or comment about the service."""

    __tablename__ = "feedback"
    __table_args__ = (
        enum_check("kind", FeedbackKind),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=True, index=True)
    kind = Column(EnumText(FeedbackKind, 16), nullable=False)
    text = Column(Text, nullable=False)
    rating = Column(SmallInteger, nullable=True)
    created_at = created_at_column()


class ContactChangeRequest(Base):
    """A tenant's request to change a contact detail, applied by staff after checks."""

    __tablename__ = "contact_change_requests"
    __table_args__ = (enum_check("field", ContactField), enum_check("status", RequestStatus))

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=False, index=True)
    tenant_id = Column(Integer, ForeignKey("tenants.id"), nullable=False)
    field = Column(EnumText(ContactField, 16), nullable=False)
    new_value = Column(String(254), nullable=False)
    status = Column(EnumText(RequestStatus, 16), nullable=False)
    requested_at = Column(UTCDateTime(), nullable=False)
    resolved_at = Column(UTCDateTime(), nullable=True)
    created_at = created_at_column()
    updated_at = updated_at_column()

    tenant = relationship("Tenant")


class TenancyEndRequest(Base):
    """Notice that a tenancy is ending, including a relative reporting a tenant's death."""

    __tablename__ = "tenancy_end_requests"
    __table_args__ = (
        enum_check("reason", TenancyEndReason),
        enum_check("status", RequestStatus),
        CheckConstraint("end_date >= notice_date", name="end_not_before_notice"),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=False, index=True)
    reason = Column(EnumText(TenancyEndReason, 16), nullable=False)
    notice_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    reported_by_name = Column(String(120), nullable=True)
    reported_by_relationship = Column(String(60), nullable=True)
    forwarding_address = Column(Text, nullable=True)
    status = Column(EnumText(RequestStatus, 16), nullable=False)
    requested_at = Column(UTCDateTime(), nullable=False)
    created_at = created_at_column()
    updated_at = updated_at_column()


class IncomeTask(Base):
    """Work for the income team: a payment plan request or a money-advice callback."""

    __tablename__ = "income_tasks"
    __table_args__ = (
        enum_check("kind", IncomeTaskKind),
        enum_check("status", CaseStatus),
        CheckConstraint("offered_weekly_amount IS NULL OR offered_weekly_amount > 0", name="offer_positive"),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=False, index=True)
    kind = Column(EnumText(IncomeTaskKind, 24), nullable=False)
    details = Column(Text, nullable=True)
    offered_weekly_amount = Column(Money(), nullable=True)
    callback_preference = Column(String(120), nullable=True)
    status = Column(EnumText(CaseStatus, 16), nullable=False)
    due_by = Column(Date, nullable=False)
    created_at = created_at_column()
    updated_at = updated_at_column()
