"""One-time codes sent by SMS to the number on file, the last step of verifying a new sender."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlalchemy.orm import relationship

from bot.housing.coltypes import EnumText, UTCDateTime
from bot.housing.enums import Channel
from bot.housing.models.base import Base, created_at_column, enum_check


class OneTimeCode(Base):
    """A code issued to prove that the sender holds the mobile phone on file; only its hash is stored."""

    __tablename__ = "one_time_codes"
    __table_args__ = (
        enum_check("channel", Channel),
        Index("ix_one_time_codes_sender", "channel", "address", "created_at"),
    )

    id = Column(Integer, primary_key=True)
    channel = Column(EnumText(Channel, 16), nullable=False)
    address = Column(String(64), nullable=False)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id", ondelete="CASCADE"), nullable=False)
    tenant_id = Column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False)
    salt = Column(String(32), nullable=False)
    code_hash = Column(String(64), nullable=False)
    expires_at = Column(UTCDateTime(), nullable=False)
    used_at = Column(UTCDateTime(), nullable=True)
    created_at = created_at_column()

    tenancy = relationship("Tenancy")
    tenant = relationship("Tenant")
