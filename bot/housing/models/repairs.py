"""Repair jobs, the appointment slots they are booked into, hazard cases and photo attachments."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship
from sqlalchemy.sql.expression import text

from bot.housing.coltypes import EnumText, UTCDateTime, json_type
from bot.housing.enums import (
    Channel,
    HazardExtent,
    HazardSeverity,
    HazardStatus,
    HazardType,
    Priority,
    RepairStatus,
    SlotPeriod,
)
from bot.housing.models.base import Base, created_at_column, enum_check, updated_at_column


class AppointmentSlot(Base):
    """Half a working day in one area with room for `capacity` visits; `booked` never exceeds it."""

    __tablename__ = "appointment_slots"
    __table_args__ = (
        UniqueConstraint("area", "slot_date", "period"),
        enum_check("period", SlotPeriod),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )

    id = Column(Integer, primary_key=True)
    area = Column(String(60), nullable=False)
    slot_date = Column(Date, nullable=False)
    period = Column(EnumText(SlotPeriod, 2), nullable=False)
    capacity = Column(SmallInteger, nullable=False)
    booked = Column(SmallInteger, nullable=False, server_default=text("0"))


class RepairJob(Base):
    """A repair a tenant reported, with its priority, target and any booked appointment."""

    __tablename__ = "repair_jobs"
    __table_args__ = (
        enum_check("priority", Priority),
        enum_check("reported_priority", Priority),
        enum_check("status", RepairStatus),
        enum_check("channel", Channel),
        Index("ix_repair_jobs_tenancy_status", "tenancy_id", "status"),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=False)
    item = Column(String(80), nullable=False)
    location = Column(String(80), nullable=False)
    description = Column(Text, nullable=False)
    # The priority as assessed from the report, and the one that applies after any vulnerability uplift.
    reported_priority = Column(EnumText(Priority, 16), nullable=False)
    priority = Column(EnumText(Priority, 16), nullable=False)
    status = Column(EnumText(RepairStatus, 16), nullable=False)
    channel = Column(EnumText(Channel, 16), nullable=True)
    reported_at = Column(UTCDateTime(), nullable=False)
    target_at = Column(UTCDateTime(), nullable=False)
    slot_id = Column(Integer, ForeignKey("appointment_slots.id"), nullable=True, index=True)
    hazard_case_id = Column(Integer, ForeignKey("hazard_cases.id", ondelete="SET NULL"), nullable=True)
    completed_at = Column(UTCDateTime(), nullable=True)
    cancelled_at = Column(UTCDateTime(), nullable=True)
    created_at = created_at_column()
    updated_at = updated_at_column()

    tenancy = relationship("Tenancy")
    slot = relationship("AppointmentSlot", lazy="joined")
    attachments = relationship("Attachment", back_populates="repair", order_by="Attachment.id")


class HazardCase(Base):
    """A hazard reported under Awaab's Law, with every statutory milestone it must meet."""

    __tablename__ = "hazard_cases"
    __table_args__ = (
        enum_check("hazard_type", HazardType),
        enum_check("severity", HazardSeverity),
        enum_check("status", HazardStatus),
        enum_check("extent", HazardExtent),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=False, index=True)
    hazard_type = Column(EnumText(HazardType, 16), nullable=False)
    severity = Column(EnumText(HazardSeverity, 16), nullable=False)
    status = Column(EnumText(HazardStatus, 16), nullable=False)
    description = Column(Text, nullable=False)
    rooms = Column(json_type(), nullable=False)
    extent = Column(EnumText(HazardExtent, 16), nullable=False)
    occupants = Column(Text, nullable=True)
    health_effects = Column(Text, nullable=True)
    aware_at = Column(UTCDateTime(), nullable=False)
    # Awaab's Law milestones: make_safe_by for an emergency; the dates for a significant hazard. The dates
    # after the investigation assume it ends on investigate_by until record_investigation sets the real end.
    make_safe_by = Column(UTCDateTime(), nullable=True)
    investigate_by = Column(Date, nullable=True)
    investigation_ended_on = Column(Date, nullable=True)
    summary_by = Column(Date, nullable=True)
    safety_work_by = Column(Date, nullable=True)
    preventative_start_by = Column(Date, nullable=True)
    physical_start_by = Column(Date, nullable=True)
    made_safe_at = Column(UTCDateTime(), nullable=True)
    closed_at = Column(UTCDateTime(), nullable=True)
    created_at = created_at_column()
    updated_at = updated_at_column()

    tenancy = relationship("Tenancy")
    attachments = relationship("Attachment", back_populates="hazard_case", order_by="Attachment.id")


class Attachment(Base):
    """A photo or file a tenant sent, stored on disk and linked to exactly one repair or hazard case."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint(
            "(repair_id IS NOT NULL AND hazard_case_id IS NULL) OR (repair_id IS NULL AND hazard_case_id IS NOT NULL)",
            name="one_parent",
        ),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id = Column(Integer, primary_key=True)
    repair_id = Column(Integer, ForeignKey("repair_jobs.id", ondelete="CASCADE"), nullable=True, index=True)
    hazard_case_id = Column(Integer, ForeignKey("hazard_cases.id", ondelete="CASCADE"), nullable=True, index=True)
    path = Column(String(500), nullable=False)
    content_type = Column(String(100), nullable=False)
    size_bytes = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    created_at = created_at_column()

    repair = relationship("RepairJob", back_populates="attachments")
    hazard_case = relationship("HazardCase", back_populates="attachments")
