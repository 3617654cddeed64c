"""Conversations: one per Rasa sender id, noting the channel and when the sender last wrote."""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing._common import choice, resolve_now
from bot.housing._sql import insert_ignore
from bot.housing.enums import Channel
from bot.housing.errors import ConversationNotFound, EmptyDescription, InvalidInput
from bot.housing.models import Conversation

MAX_SENDER_ID_LENGTH = 128


def _check_sender(sender_id: str) -> str:
    value = str(sender_id or "").strip()
    if not value:
        raise EmptyDescription("sender_id must not be blank")
    if len(value) > MAX_SENDER_ID_LENGTH:
        raise InvalidInput(f"sender_id may be at most {MAX_SENDER_ID_LENGTH} characters")
    return value


def get(*, session: Session, sender_id: str) -> Conversation | None:
    """Return the conversation of `sender_id`, or None."""
    statement = select(Conversation).where(Conversation.sender_id == _check_sender(sender_id))
    return session.execute(statement).scalar_one_or_none()


def get_or_raise(*, session: Session, sender_id: str) -> Conversation:
    """Return the conversation of `sender_id`.

    Raises:
        ConversationNotFound: If there is none.

    """
    found = get(session=session, sender_id=sender_id)
    if found is None:
        raise ConversationNotFound(f"no conversation {sender_id}")
    return found


def list(*, session: Session, channel: Channel | str | None = None, limit: int = 50) -> builtins.list[Conversation]:
    """Return conversations, most recently active first, optionally on one channel."""
    statement = select(Conversation).order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(limit)
    if channel is not None:
        statement = statement.where(Conversation.channel == choice(Channel, channel, "channel"))
    return builtins.list(session.execute(statement).scalars().all())


def touch(
    *,
    session: Session,
    sender_id: str,
    channel: Channel | str,
    channel_identity_id: int | None = None,
    now: datetime | None = None,
) -> Conversation:
    """Return the sender's conversation, creating it on first contact, with its last-message time set to now.

    Safe under concurrency: two first messages at once create one conversation.

    Raises:
        EmptyDescription, InvalidInput: For a blank or over-long sender id; InvalidChoice for a bad channel.

    """
    at = resolve_now(now)
    sender = _check_sender(sender_id)
    via = choice(Channel, channel, "channel")
    insert_ignore(
        session,
        Conversation.__table__,
        {
            "sender_id": sender,
            "channel": via,
            "channel_identity_id": channel_identity_id,
            "started_at": at,
            "last_message_at": at,
        },
        conflict_columns=["sender_id"],
    )
    conversation = get_or_raise(session=session, sender_id=sender)
    if conversation.last_message_at < at:
        conversation.last_message_at = at
    if channel_identity_id is not None:
        conversation.channel_identity_id = channel_identity_id
    session.flush()
    return conversation
