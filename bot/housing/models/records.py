"""The audit log and the counters that number every reference a tenant can quote."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String

from bot.housing.coltypes import UTCDateTime, json_type
from bot.housing.models.base import Base


class AuditEntry(Base):
    """One thing someone (a tenant, a member of staff or the system) did to the records."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject", "at"),)

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime(), nullable=False, index=True)
    actor = Column(String(120), nullable=False)
    action = Column(String(60), nullable=False)
    subject = Column(String(60), nullable=False)
    details = Column(json_type(), nullable=False)


class ReferenceCounter(Base):
    """The last number issued for one reference prefix (REP, CMP, ...); bumped in the transaction that uses it."""

    __tablename__ = "reference_counters"

    prefix = Column(String(3), primary_key=True)
    last_value = Column(BigInteger, nullable=False)
