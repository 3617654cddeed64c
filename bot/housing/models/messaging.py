"""Conversations, handoffs to staff, inbound de-duplication and the outbox of messages to send."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship
from sqlalchemy.sql.expression import text

from bot.housing.coltypes import EnumText, UTCDateTime, json_type
from bot.housing.enums import Channel, HandoffReason, HandoffStatus, InboundStatus, OutboxStatus, Urgency
from bot.housing.models.base import Base, created_at_column, enum_check, updated_at_column


class Conversation(Base):
    """One sender's conversation with the assistant (Rasa's sender id), on one channel."""

    __tablename__ = "conversations"
    __table_args__ = (enum_check("channel", Channel),)

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, unique=True)
    channel = Column(EnumText(Channel, 16), nullable=False)
    channel_identity_id = Column(Integer, ForeignKey("channel_identities.id", ondelete="SET NULL"), nullable=True)
    started_at = Column(UTCDateTime(), nullable=False)
    last_message_at = Column(UTCDateTime(), nullable=False)


class Handoff(Base):
    """A conversation waiting for, or held by, a member of staff."""

    __tablename__ = "handoffs"
    __table_args__ = (
        enum_check("status", HandoffStatus),
        enum_check("reason", HandoffReason),
        enum_check("urgency", Urgency),
        enum_check("channel", Channel),
        Index("ix_handoffs_queue", "status", "requested_at"),
        # At most one open handoff per sender: asking for a person twice must not queue them twice.
        Index(
            "uq_handoffs_open_sender",
            "sender_id",
            unique=True,
            sqlite_where=text("status <> 'closed'"),
            postgresql_where=text("status <> 'closed'"),
        ),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(12), nullable=False, unique=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id"), nullable=False, index=True)
    sender_id = Column(String(128), nullable=False)
    channel = Column(EnumText(Channel, 16), nullable=False)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id"), nullable=True)
    reason = Column(EnumText(HandoffReason, 24), nullable=False)
    urgency = Column(EnumText(Urgency, 16), nullable=False)
    summary = Column(Text, nullable=True)
    status = Column(EnumText(HandoffStatus, 16), nullable=False)
    claimed_by_id = Column(Integer, ForeignKey("staff_users.id"), nullable=True)
    requested_at = Column(UTCDateTime(), nullable=False)
    claimed_at = Column(UTCDateTime(), nullable=True)
    closed_at = Column(UTCDateTime(), nullable=True)
    closing_note = Column(Text, nullable=True)
    updated_at = updated_at_column()

    conversation = relationship("Conversation")
    claimed_by = relationship("StaffUser", lazy="joined")


class InboundMessage(Base):
    """A tenant's message as received, and how far its processing got (any replica may finish it).

    The provider's id is unique per channel, so a webhook retried by the provider is processed once.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        enum_check("channel", Channel),
        enum_check("status", InboundStatus),
        Index("ix_inbound_messages_conversation", "conversation", "id"),
        Index("ix_inbound_messages_due", "status", "lease_until"),
    )

    id = Column(Integer, primary_key=True)
    channel = Column(EnumText(Channel, 16), nullable=False)
    external_id = Column(String(128), nullable=False)
    received_at = Column(UTCDateTime(), nullable=False)
    status = Column(EnumText(InboundStatus, 16), nullable=False, server_default="done")
    # Rasa's sender id: messages of one conversation are processed in `id` order.
    conversation = Column(String(128), nullable=True)
    payload = Column(json_type(), nullable=True)
    claimed_by = Column(String(64), nullable=True)
    lease_until = Column(UTCDateTime(), nullable=True)
    attempts = Column(SmallInteger, nullable=False, server_default=text("0"))
    processed_at = Column(UTCDateTime(), nullable=True)


class OutboxMessage(Base):
    """A message to send, retried until the provider accepts it; the idempotency key stops double sends."""

    __tablename__ = "outbox"
    __table_args__ = (
        enum_check("channel", Channel),
        enum_check("status", OutboxStatus),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id = Column(Integer, primary_key=True)
    channel = Column(EnumText(Channel, 16), nullable=False)
    to_address = Column(String(64), nullable=False)
    body = Column(Text, nullable=False)
    # A WhatsApp template (Twilio content SID and variables) for sending outside the 24-hour window.
    template_name = Column(String(64), nullable=True)
    template_variables = Column(json_type(), nullable=True)
    status = Column(EnumText(OutboxStatus, 16), nullable=False)
    attempts = Column(SmallInteger, nullable=False, server_default=text("0"))
    next_attempt_at = Column(UTCDateTime(), nullable=False)
    last_error = Column(Text, nullable=True)
    provider_message_id = Column(String(128), nullable=True, index=True)
    idempotency_key = Column(String(128), nullable=False, unique=True)
    created_at = created_at_column()
    sent_at = Column(UTCDateTime(), nullable=True)
    delivered_at = Column(UTCDateTime(), nullable=True)
