"""Inbound de-duplication: providers retry webhooks, so each provider message id is handled once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.housing._common import choice, resolve_now
from bot.housing._sql import insert_ignore
from bot.housing.enums import Channel
from bot.housing.errors import EmptyDescription, InvalidInput
from bot.housing.models import InboundMessage


def _check_id(external_id: str) -> str:
    value = str(external_id or "").strip()
    if not value:
        raise EmptyDescription("external_id must not be blank")
    if len(value) > 128:
        raise InvalidInput("external_id may be at most 128 characters")
    return value


def record_if_new(*, session: Session, channel: Channel | str, external_id: str, now: datetime | None = None) -> bool:
    """Record a provider's message id and return True, or return False if it was seen before.

    Of two deliveries of the same message racing each other, exactly one gets True.

    Raises:
        InvalidChoice: For an unknown channel; EmptyDescription or InvalidInput for a bad id.

    """
    at = resolve_now(now)
    via = choice(Channel, channel, "channel")
    inserted = insert_ignore(
        session,
        InboundMessage.__table__,
        {"channel": via, "external_id": _check_id(external_id), "received_at": at},
        conflict_columns=["channel", "external_id"],
    )
    return inserted is not None


def exists(*, session: Session, channel: Channel | str, external_id: str) -> bool:
    """Return whether a provider's message id has been recorded."""
    via = choice(Channel, channel, "channel")
    statement = select(InboundMessage.id).where(
        InboundMessage.channel == via, InboundMessage.external_id == _check_id(external_id)
    )
    return session.execute(statement).first() is not None


def purge(*, session: Session, before: datetime) -> int:
    """Forget message ids received before `before` (providers stop retrying within hours); return how many."""
    result = session.execute(
        delete(InboundMessage.__table__).where(InboundMessage.__table__.c.received_at < resolve_now(before))
    )
    return int(result.rowcount)
