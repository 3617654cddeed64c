"""The outbox: messages to send, claimed by a sender loop, retried with back-off, and tracked to delivery.

`create` is idempotent on the caller's key, so an action retried after a timeout queues its reply once.
`claim_due` takes each due message with a conditional UPDATE, so two sender loops never send the same message;
a claim is a lease, and a sender that dies mid-send lets the message be claimed again when the lease runs out.
"""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from bot.housing import identities
from bot.housing._common import choice, resolve_now
from bot.housing.enums import Channel, OutboxStatus
from bot.housing.errors import (
    EmptyDescription,
    InvalidInput,
    InvalidStatusTransition,
    OptedOut,
    OutboxMessageNotFound,
)
from bot.housing.models import OutboxMessage
from bot.housing.validation import normalise_channel_address, require_text

MAX_ATTEMPTS = 5
LEASE = timedelta(seconds=60)
# Wait before attempt n + 1 after n failures.
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30))
MAX_BODY_LENGTH = 4096


def _check_key(key: str) -> str:
    value = str(key or "").strip()
    if not value:
        raise EmptyDescription("idempotency_key must not be blank")
    if len(value) > 128:
        raise InvalidInput("idempotency_key may be at most 128 characters")
    return value


def get(*, session: Session, message_id: int) -> OutboxMessage | None:
    """Return the outbox message with `message_id`, or None."""
    return session.get(OutboxMessage, message_id)


def get_or_raise(*, session: Session, message_id: int) -> OutboxMessage:
    """Return the outbox message with `message_id`.

    Raises:
        OutboxMessageNotFound: If there is none.

    """
    message = get(session=session, message_id=message_id)
    if message is None:
        raise OutboxMessageNotFound(f"no outbox message {message_id}")
    return message


def list(
    *, session: Session, status: OutboxStatus | str | None = None, limit: int = 100
) -> builtins.list[OutboxMessage]:
    """Return messages, oldest first, optionally in one status.

    Raises:
        InvalidChoice: For an unknown status.

    """
    statement = select(OutboxMessage).order_by(OutboxMessage.id).limit(limit)
    if status is not None:
        statement = statement.where(OutboxMessage.status == choice(OutboxStatus, status, "status"))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    channel: Channel | str,
    to: str,
    body: str,
    idempotency_key: str,
    template_name: str | None = None,
    template_variables: dict[str, Any] | None = None,
    send_after: datetime | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Queue a message, or return the one already queued under `idempotency_key`.

    Args:
        session: The open session.
        channel: The channel to send on.
        to: The recipient's number (E.164) or Telegram chat id.
        body: The text (card numbers masked).
        idempotency_key: The caller's unique key for this message (e.g. "<sender>:<event id>").
        template_name: A WhatsApp template to use outside the 24-hour window, if any.
        template_variables: Its variables.
        send_after: Do not send before this instant; now when None.
        now: The current time; the real clock when None.

    Raises:
        InvalidChoice: For an unknown channel; InvalidPhoneNumber for a bad recipient.
        EmptyDescription, TextTooLong: For a blank or over-long body; EmptyDescription for a blank key.
        OptedOut: If the recipient has opted out on that channel.

    """
    at = resolve_now(now)
    via = choice(Channel, channel, "channel")
    recipient = normalise_channel_address(via, to)
    text = require_text(body, field="body", max_length=MAX_BODY_LENGTH)
    key = _check_key(idempotency_key)
    due = resolve_now(send_after) if send_after is not None else at
    existing = session.execute(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).scalar_one_or_none()
    if existing is not None:
        return existing
    identity = identities.get(session=session, channel=via, address=recipient)
    if identity is not None and identity.opted_out_at is not None:
        raise OptedOut(f"{recipient} has opted out of {via.value} messages")
    message = OutboxMessage(
        channel=via,
        to_address=recipient,
        body=text,
        template_name=template_name,
        template_variables=template_variables,
        status=OutboxStatus.QUEUED,
        attempts=0,
        next_attempt_at=due,
        idempotency_key=key,
        created_at=at,
    )
    session.add(message)
    session.flush()
    return message


def claim_due(*, session: Session, limit: int = 20, now: datetime | None = None) -> builtins.list[OutboxMessage]:
    """Take up to `limit` messages that are due, marking them sending under a lease; return them.

    Due means queued with `next_attempt_at` passed, or sending whose lease ran out (its sender died).
    """
    at = resolve_now(now)
    table = OutboxMessage.__table__
    due = (
        table.c.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
        table.c.next_attempt_at <= at,
        table.c.attempts < MAX_ATTEMPTS,
    )
    candidates = (
        session.execute(select(table.c.id).where(*due).order_by(table.c.next_attempt_at, table.c.id).limit(limit))
        .scalars()
        .all()
    )
    claimed = []
    for message_id in candidates:
        result = session.execute(
            sql_update(table)
            .where(table.c.id == message_id, *due)
            .values(status=OutboxStatus.SENDING, attempts=table.c.attempts + 1, next_attempt_at=at + LEASE)
        )
        if result.rowcount == 1:
            claimed.append(message_id)
    messages = [get_or_raise(session=session, message_id=message_id) for message_id in claimed]
    for message in messages:
        session.refresh(message)
    return messages


def mark_sent(
    *, session: Session, message_id: int, provider_message_id: str | None = None, now: datetime | None = None
) -> OutboxMessage:
    """Record that the provider accepted a message.

    Raises:
        OutboxMessageNotFound: If there is no such message.
        InvalidStatusTransition: If it was not being sent.

    """
    at = resolve_now(now)
    message = get_or_raise(session=session, message_id=message_id)
    if OutboxStatus(message.status) is not OutboxStatus.SENDING:
        raise InvalidStatusTransition(f"message {message_id} is {message.status.value}, not sending")
    message.status = OutboxStatus.SENT
    message.provider_message_id = provider_message_id
    message.sent_at = at
    message.last_error = None
    session.flush()
    return message


def mark_failed(
    *, session: Session, message_id: int, error: str, permanent: bool = False, now: datetime | None = None
) -> OutboxMessage:
    """Record a failed send: queue a retry with back-off, or fail for good if permanent or out of attempts.

    Raises:
        OutboxMessageNotFound: If there is no such message.
        InvalidStatusTransition: If it was not being sent.

    """
    at = resolve_now(now)
    message = get_or_raise(session=session, message_id=message_id)
    if OutboxStatus(message.status) is not OutboxStatus.SENDING:
        raise InvalidStatusTransition(f"message {message_id} is {message.status.value}, not sending")
    message.last_error = str(error)[:2000]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
    else:
        message.status = OutboxStatus.QUEUED
        message.next_attempt_at = at + BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
    session.flush()
    return message


def mark_delivered(*, session: Session, provider_message_id: str, now: datetime | None = None) -> OutboxMessage:
    """Record the provider's delivery receipt for a sent message.

    Raises:
        OutboxMessageNotFound: If no message has that provider id.

    """
    at = resolve_now(now)
    message = session.execute(
        select(OutboxMessage).where(OutboxMessage.provider_message_id == str(provider_message_id))
    ).scalar_one_or_none()
    if message is None:
        raise OutboxMessageNotFound(f"no outbox message with provider id {provider_message_id}")
    if OutboxStatus(message.status) in (OutboxStatus.SENT, OutboxStatus.SENDING, OutboxStatus.FAILED):
        message.status = OutboxStatus.DELIVERED
        message.delivered_at = at
    session.flush()
    return message
