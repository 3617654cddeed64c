"""The trainers' NLU inbox: tenant messages the assistant was unsure of, with what it guessed, awaiting a label."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Text

from bot.housing.coltypes import EnumText, UTCDateTime
from bot.housing.enums import InboxReason, InboxStatus
from bot.housing.models.base import Base, created_at_column, enum_check, updated_at_column


class NluInboxItem(Base):
    """One redacted tenant message for a trainer to confirm, relabel or discard.

    `key` identifies the message it came from (a digest of the conversation and the message's time), so a
    message collected twice, or collected and also corrected by staff, is one item. No sender id is kept.
    """

    __tablename__ = "nlu_inbox_items"
    __table_args__ = (
        enum_check("reason", InboxReason),
        enum_check("status", InboxStatus),
        Index("ix_nlu_inbox_items_status", "status", "received_at"),
    )

    id = Column(Integer, primary_key=True)
    key = Column(String(80), nullable=False, unique=True)
    text = Column(Text, nullable=False)
    redactions = Column(String(200), nullable=False, server_default="")
    predicted_intent = Column(String(100), nullable=True)
    confidence = Column(Float, nullable=True)
    reason = Column(EnumText(InboxReason, 16), nullable=False)
    suggested_intent = Column(String(100), nullable=True)
    suggested_by = Column(String(120), nullable=True)
    status = Column(EnumText(InboxStatus, 16), nullable=False)
    label = Column(String(100), nullable=True)
    decided_by = Column(String(120), nullable=True)
    decided_at = Column(UTCDateTime(), nullable=True)
    received_at = Column(UTCDateTime(), nullable=False)
    created_at = created_at_column()
    updated_at = updated_at_column()


class NluInboxCursor(Base):
    """How far the collector has read a source of messages (the id of the last tracker event it looked at)."""

    __tablename__ = "nlu_inbox_cursors"

    source = Column(String(64), primary_key=True)
    position = Column(BigInteger, nullable=False)
    updated_at = updated_at_column()
