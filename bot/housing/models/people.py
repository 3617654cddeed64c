"""Tenants, the channel addresses they message us from, staff users and identity checks."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import relationship
from sqlalchemy.sql.expression import false, text, true

from bot.housing.coltypes import EnumText, UTCDateTime
from bot.housing.enums import Channel, StaffRole
from bot.housing.models.base import Base, created_at_column, enum_check, updated_at_column


class Tenant(Base):
    """A person named on a tenancy."""

    __tablename__ = "tenants"

    id = Column(Integer, primary_key=True)
    first_name = Column(String(80), nullable=False)
    last_name = Column(String(80), nullable=False)
    date_of_birth = Column(Date, nullable=False)
    phone = Column(String(16), nullable=True, index=True)
    email = Column(String(254), nullable=True)
    # Vulnerability flags: any one of them makes the household vulnerable (raises repair priority one step).
    is_elderly = Column(Boolean, nullable=False, server_default=false())
    has_disability = Column(Boolean, nullable=False, server_default=false())
    has_young_children = Column(Boolean, nullable=False, server_default=false())
    has_medical_need = Column(Boolean, nullable=False, server_default=false())
    created_at = created_at_column()
    updated_at = updated_at_column()

    tenancies = relationship("Tenancy", secondary="tenancy_tenants", back_populates="tenants", viewonly=True)

    @property
    def full_name(self) -> str:
        """Return the tenant's first and last name."""
        return f"{self.first_name} {self.last_name}"

    @property
    def is_vulnerable(self) -> bool:
        """Return whether any vulnerability flag is set."""
        return bool(self.is_elderly or self.has_disability or self.has_young_children or self.has_medical_need)


class ChannelIdentity(Base):
    """One address (E.164 number or Telegram user id) on one channel, optionally linked to a tenant."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "address"), enum_check("channel", Channel))

    id = Column(Integer, primary_key=True)
    channel = Column(EnumText(Channel, 16), nullable=False)
    address = Column(String(64), nullable=False)
    tenant_id = Column(Integer, ForeignKey("tenants.id", ondelete="SET NULL"), nullable=True, index=True)
    verified_at = Column(UTCDateTime(), nullable=True)
    opted_out_at = Column(UTCDateTime(), nullable=True)
    last_inbound_at = Column(UTCDateTime(), nullable=True)
    created_at = created_at_column()
    updated_at = updated_at_column()

    tenant = relationship("Tenant")


class StaffUser(Base):
    """A member of staff who signs in to the console."""

    __tablename__ = "staff_users"
    __table_args__ = (enum_check("role", StaffRole),)

    id = Column(Integer, primary_key=True)
    username = Column(String(60), nullable=False, unique=True)
    display_name = Column(String(120), nullable=False)
    role = Column(EnumText(StaffRole, 16), nullable=False)
    password_hash = Column(String(255), nullable=False)
    failed_attempts = Column(SmallInteger, nullable=False, server_default=text("0"))
    locked_until = Column(UTCDateTime(), nullable=True)
    last_login_at = Column(UTCDateTime(), nullable=True)
    is_active = Column(Boolean, nullable=False, server_default=true())
    created_at = created_at_column()
    updated_at = updated_at_column()


class VerificationAttempt(Base):
    """One attempt by a channel address to prove it belongs to a tenancy; every attempt is kept."""

    __tablename__ = "verification_attempts"
    __table_args__ = (
        enum_check("channel", Channel),
        Index("ix_verification_attempts_sender", "channel", "address", "attempted_at"),
    )

    id = Column(Integer, primary_key=True)
    channel = Column(EnumText(Channel, 16), nullable=False)
    address = Column(String(64), nullable=False)
    tenancy_reference = Column(String(8), nullable=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id", ondelete="SET NULL"), nullable=True)
    success = Column(Boolean, nullable=False)
    attempted_at = Column(UTCDateTime(), nullable=False)
