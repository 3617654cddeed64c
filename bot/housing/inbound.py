"""Inbound messages: each provider message id is handled once, and any replica can finish what another dropped.

A channel records every message it acknowledges (`record_if_new`, with the parsed message as `payload`) before
answering the provider. From then on the row is the message's journal: it moves received -> processing (claimed
by one replica, with a lease it keeps renewing) -> done. A replica that dies stops renewing, its lease runs out
and another replica's `claim_next` takes the message over. Messages of one conversation are claimed strictly in
`id` order and only one at a time, so they are processed in order, exactly once, whichever replica runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from bot.housing._common import choice, resolve_now
from bot.housing._sql import insert_ignore
from bot.housing.enums import Channel, InboundStatus
from bot.housing.errors import EmptyDescription, InvalidInput
from bot.housing.models import InboundMessage

_table = InboundMessage.__table__


def _check_id(external_id: str) -> str:
    value = str(external_id or "").strip()
    if not value:
        raise EmptyDescription("external_id must not be blank")
    if len(value) > 128:
        raise InvalidInput("external_id may be at most 128 characters")
    return value


def _check_name(value: str, field: str, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise EmptyDescription(f"{field} must not be blank")
    if len(text) > limit:
        raise InvalidInput(f"{field} may be at most {limit} characters")
    return text


def _lease(seconds: float) -> timedelta:
    if not seconds > 0:
        raise InvalidInput("a lease must last longer than 0 seconds")
    return timedelta(seconds=seconds)


def record_if_new(
    *,
    session: Session,
    channel: Channel | str,
    external_id: str,
    conversation: str | None = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a provider's message and return True, or return False if it was seen before.

    Of two deliveries of the same message racing each other, exactly one gets True.

    Args:
        session: The open session.
        channel: The channel it came in on.
        external_id: The provider's id of the message.
        conversation: Rasa's sender id; with `payload`, the message waits as "received" for a replica to claim.
        payload: The parsed message (JSON-ready). Without one the id is only remembered (status "done").
        now: The current instant (tests).

    Raises:
        InvalidChoice: For an unknown channel; EmptyDescription or InvalidInput for a bad id or conversation.

    """
    at = resolve_now(now)
    via = choice(Channel, channel, "channel")
    values: dict[str, Any] = {"channel": via, "external_id": _check_id(external_id), "received_at": at}
    if payload is not None:
        values.update(
            status=InboundStatus.RECEIVED,
            conversation=_check_name(conversation or "", "conversation", 128),
            payload=payload,
        )
    else:
        values.update(status=InboundStatus.DONE, processed_at=at)
    inserted = insert_ignore(session, _table, values, conflict_columns=["channel", "external_id"])
    return inserted is not None


def exists(*, session: Session, channel: Channel | str, external_id: str) -> bool:
    """Return whether a provider's message id has been recorded."""
    via = choice(Channel, channel, "channel")
    statement = select(InboundMessage.id).where(
        InboundMessage.channel == via, InboundMessage.external_id == _check_id(external_id)
    )
    return session.execute(statement).first() is not None


@dataclass(frozen=True)
class Claim:
    """A message this replica now holds: process it, then `finish` it.

    Attributes:
        id: The row id (what `renew`, `finish` and `release` take).
        external_id: The provider's id of the message.
        payload: The parsed message as recorded.
        attempts: How many times it has been claimed, this claim included (above 1: an earlier try was cut short).
    """

    id: int
    external_id: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Held:
    """The conversation's next message is being processed by `replica` until at least `lease_until`."""

    replica: str
    lease_until: datetime


def _claimable(at: datetime, replica: str, reclaim_own: bool) -> Any:
    expired = and_(_table.c.status == InboundStatus.PROCESSING.value, _table.c.lease_until <= at)
    held_by_me = and_(_table.c.status == InboundStatus.PROCESSING.value, _table.c.claimed_by == replica)
    ready = and_(
        _table.c.status == InboundStatus.RECEIVED.value,
        or_(_table.c.lease_until.is_(None), _table.c.lease_until <= at),
    )
    return or_(ready, expired, held_by_me) if reclaim_own else or_(ready, expired)


def claim_next(
    *,
    session: Session,
    channel: Channel | str,
    conversation: str,
    replica: str,
    lease_seconds: float,
    reclaim_own: bool = False,
    now: datetime | None = None,
) -> Claim | Held | None:
    """Claim the conversation's earliest unfinished message for `replica`, if nobody else holds it.

    The claim is a compare-and-set on the row, so of several replicas claiming at once exactly one wins.

    Args:
        session: The open session (commit it to make the claim visible).
        channel: The channel whose messages to look at.
        conversation: Rasa's sender id.
        replica: Who claims (a name unique among running replicas, stable across a restart if possible).
        lease_seconds: How long the claim lasts unless renewed.
        reclaim_own: Also take messages `replica` itself holds (it restarted and knows it held them before).
        now: The current instant (tests).

    Returns:
        The `Claim`; `Held` if the earliest unfinished message is held by a live claim or waits for its retry
        time; None if the conversation has nothing unfinished.

    Raises:
        InvalidChoice, EmptyDescription, InvalidInput: For a bad channel, conversation, replica or lease.

    """
    at = resolve_now(now)
    via = choice(Channel, channel, "channel")
    who = _check_name(replica, "replica", 64)
    lease = _lease(lease_seconds)
    earliest = session.execute(
        select(_table.c.id, _table.c.external_id, _table.c.claimed_by, _table.c.lease_until)
        .where(
            _table.c.channel == via.value,
            _table.c.conversation == _check_name(conversation, "conversation", 128),
            _table.c.status != InboundStatus.DONE.value,
        )
        .order_by(_table.c.id)
        .limit(1)
    ).first()
    if earliest is None:
        return None
    claimed = session.execute(
        update(_table)
        .where(_table.c.id == earliest.id, _claimable(at, who, reclaim_own))
        .values(
            status=InboundStatus.PROCESSING.value,
            claimed_by=who,
            lease_until=at + lease,
            attempts=_table.c.attempts + 1,
        )
    )
    # Read back in the same transaction: the update holds the row until commit, so no one else changed it.
    row = session.execute(
        select(_table.c.payload, _table.c.attempts, _table.c.claimed_by, _table.c.lease_until).where(
            _table.c.id == earliest.id
        )
    ).one()
    if claimed.rowcount != 1:
        return Held(replica=str(row.claimed_by or ""), lease_until=row.lease_until or at)
    return Claim(
        id=earliest.id, external_id=earliest.external_id, payload=dict(row.payload or {}), attempts=int(row.attempts)
    )


def _mine(message_id: int, replica: str) -> Any:
    return and_(
        _table.c.id == message_id,
        _table.c.status == InboundStatus.PROCESSING.value,
        _table.c.claimed_by == replica,
    )


def renew(
    *, session: Session, message_id: int, replica: str, lease_seconds: float, now: datetime | None = None
) -> bool:
    """Extend `replica`'s claim on a message; return False if it no longer holds it (its lease ran out)."""
    at = resolve_now(now)
    result = session.execute(
        update(_table).where(_mine(message_id, replica)).values(lease_until=at + _lease(lease_seconds))
    )
    return bool(result.rowcount)


def finish(*, session: Session, message_id: int, replica: str, now: datetime | None = None) -> bool:
    """Mark a claimed message done and drop its payload; return False if `replica` no longer held it."""
    result = session.execute(
        update(_table)
        .where(_mine(message_id, replica))
        .values(status=InboundStatus.DONE.value, processed_at=resolve_now(now), payload=None, lease_until=None)
    )
    return bool(result.rowcount)


def release(
    *, session: Session, message_id: int, replica: str, retry_after: float = 0.0, now: datetime | None = None
) -> bool:
    """Give a claimed message back unprocessed, claimable again after `retry_after` seconds.

    The conversation's later messages wait behind it, so order is kept. Returns False if `replica` no longer
    held it.
    """
    at = resolve_now(now)
    result = session.execute(
        update(_table)
        .where(_mine(message_id, replica))
        .values(
            status=InboundStatus.RECEIVED.value,
            claimed_by=None,
            lease_until=at + timedelta(seconds=max(0.0, retry_after)),
        )
    )
    return bool(result.rowcount)


def stalled_conversations(
    *,
    session: Session,
    channel: Channel | str,
    received_before: datetime,
    replica: str | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> list[str]:
    """Return conversations with a message nobody is working on: one to claim, oldest first.

    That is a message received before `received_before` and never claimed or given back and due again, or one
    whose claim has expired, or (with `replica`) one `replica` itself holds.
    """
    at = resolve_now(now)
    via = choice(Channel, channel, "channel")
    waiting = and_(
        _table.c.status == InboundStatus.RECEIVED.value,
        _table.c.received_at < resolve_now(received_before),
        or_(_table.c.lease_until.is_(None), _table.c.lease_until <= at),
    )
    conditions = [waiting, and_(_table.c.status == InboundStatus.PROCESSING.value, _table.c.lease_until <= at)]
    if replica is not None:
        conditions.append(and_(_table.c.status == InboundStatus.PROCESSING.value, _table.c.claimed_by == replica))
    rows = session.execute(
        select(_table.c.conversation, _table.c.id)
        .where(_table.c.channel == via.value, _table.c.conversation.is_not(None), or_(*conditions))
        .order_by(_table.c.id)
        .limit(max(1, limit) * 4)
    ).all()
    return list(dict.fromkeys(str(row.conversation) for row in rows))[:limit]


def unfinished(*, session: Session, channel: Channel | str, limit: int = 1000) -> list[tuple[str, dict[str, Any]]]:
    """Return (external id, payload) of every message received and not yet processed, oldest first."""
    via = choice(Channel, channel, "channel")
    rows = session.execute(
        select(_table.c.external_id, _table.c.payload)
        .where(_table.c.channel == via.value, _table.c.status != InboundStatus.DONE.value)
        .order_by(_table.c.id)
        .limit(limit)
    ).all()
    return [(str(row.external_id), dict(row.payload or {})) for row in rows]


def purge(*, session: Session, before: datetime) -> int:
    """Forget processed messages received before `before` (providers stop retrying within hours); return how many.

    Messages not yet processed are kept, however old.
    """
    result = session.execute(
        delete(_table).where(_table.c.received_at < resolve_now(before), _table.c.status == InboundStatus.DONE.value)
    )
    return int(result.rowcount)
