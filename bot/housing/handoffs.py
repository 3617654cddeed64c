"""Handoffs: conversations waiting for, or held by, a member of staff.

A sender has at most one open handoff (a partial unique index enforces it), so asking for a person twice does
not queue them twice. Claiming is one conditional UPDATE (`WHERE status = 'waiting'`), so when two members of
staff press "claim" at the same moment exactly one holds the conversation.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import case, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from bot.housing import audit, conversations, references, staff
from bot.housing._common import SYSTEM_ACTOR, choice, find_by_reference, find_tenancy, resolve_now
from bot.housing._sql import insert_ignore
from bot.housing.enums import Channel, HandoffReason, HandoffStatus, Urgency
from bot.housing.errors import AccountLocked, AlreadyClaimed, HandoffNotFound, InvalidStatusTransition
from bot.housing.models import Handoff
from bot.housing.validation import clean_text

DEFAULT_URGENCY = {
    HandoffReason.EMERGENCY: Urgency.EMERGENCY,
    HandoffReason.WELFARE: Urgency.HIGH,
    HandoffReason.BEREAVEMENT: Urgency.HIGH,
    HandoffReason.ARREARS_CALLBACK: Urgency.NORMAL,
    HandoffReason.REQUEST_HUMAN: Urgency.NORMAL,
    HandoffReason.FALLBACK: Urgency.NORMAL,
}
_RANK = {Urgency.EMERGENCY: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}
OPEN_STATUSES = (HandoffStatus.WAITING, HandoffStatus.CLAIMED)


def _queue_order() -> tuple[object, ...]:
    rank = case(
        (Handoff.urgency == Urgency.EMERGENCY, 0),
        (Handoff.urgency == Urgency.HIGH, 1),
        else_=2,
    )
    return rank, Handoff.requested_at, Handoff.id


def get(*, session: Session, reference: str) -> Handoff | None:
    """Return the handoff with HND reference `reference`, or None.

    Raises:
        InvalidReference: If the reference is malformed.

    """
    found: Handoff | None = find_by_reference(session, Handoff, references.HANDOFF, reference)
    return found


def get_or_raise(*, session: Session, reference: str) -> Handoff:
    """Return the handoff with HND reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        HandoffNotFound: If there is none.

    """
    found = get(session=session, reference=reference)
    if found is None:
        raise HandoffNotFound(f"no handoff {reference}")
    return found


def get_open(*, session: Session, sender_id: str) -> Handoff | None:
    """Return the sender's waiting or claimed handoff, or None (the channel then lets the bot answer)."""
    statement = select(Handoff).where(Handoff.sender_id == sender_id, Handoff.status.in_(OPEN_STATUSES))
    return session.execute(statement).scalar_one_or_none()


def list(
    *,
    session: Session,
    status: HandoffStatus | str | None = HandoffStatus.WAITING,
    claimed_by: str | None = None,
    limit: int = 50,
) -> builtins.list[Handoff]:
    """Return handoffs in queue order: most urgent first, then longest waiting.

    Args:
        session: The open session.
        status: Only handoffs in this status; None for all.
        claimed_by: Only those held by this staff username.
        limit: At most this many.

    Raises:
        InvalidChoice: For an unknown status.
        StaffUserNotFound: If `claimed_by` names nobody.

    """
    statement = select(Handoff).order_by(*_queue_order()).limit(limit)
    if status is not None:
        statement = statement.where(Handoff.status == choice(HandoffStatus, status, "status"))
    if claimed_by is not None:
        statement = statement.where(
            Handoff.claimed_by_id == staff.get_or_raise(session=session, username=claimed_by).id
        )
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    sender_id: str,
    channel: Channel | str,
    reason: HandoffReason | str,
    urgency: Urgency | str | None = None,
    summary: str | None = None,
    tenancy_reference: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Handoff:
    """Queue the sender's conversation for a person, or return their open handoff made more urgent if need be.

    Args:
        session: The open session.
        sender_id: Rasa's sender id for the conversation.
        channel: The channel it is on.
        reason: Why a person is needed.
        urgency: How urgent; by default emergency for an emergency, high for welfare and bereavement, else
            normal.
        summary: What staff should know first (card numbers masked).
        tenancy_reference: The verified tenancy, if any.
        actor: Who asked, for the audit log.
        now: The current time; the real clock when None.

    Raises:
        EmptyDescription, InvalidInput: For a bad sender id; InvalidChoice for a bad channel, reason or
            urgency.
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy.

    """
    at = resolve_now(now)
    why = choice(HandoffReason, reason, "reason")
    how_urgent = choice(Urgency, urgency, "urgency") if urgency is not None else DEFAULT_URGENCY[why]
    notes = clean_text(summary, field="summary", required=False)
    via = choice(Channel, channel, "channel")
    tenancy_id = find_tenancy(session, tenancy_reference).id if tenancy_reference is not None else None
    conversation = conversations.touch(session=session, sender_id=sender_id, channel=via, now=at)
    existing = get_open(session=session, sender_id=conversation.sender_id)
    if existing is None:
        inserted = insert_ignore(
            session,
            Handoff.__table__,
            {
                "reference": references.next_reference(session, references.HANDOFF),
                "conversation_id": conversation.id,
                "sender_id": conversation.sender_id,
                "channel": via,
                "tenancy_id": tenancy_id,
                "reason": why,
                "urgency": how_urgent,
                "summary": notes,
                "status": HandoffStatus.WAITING,
                "requested_at": at,
                "updated_at": at,
            },
            conflict_columns=["sender_id"],
            conflict_where=text("status <> 'closed'"),
        )
        handoff = get_open(session=session, sender_id=conversation.sender_id)
        assert handoff is not None  # inserted now, or by a racing request a moment ago
        if inserted is not None:
            audit.record(
                session=session,
                actor=actor,
                action="handoff.created",
                subject=handoff.reference,
                details={"reason": why.value, "urgency": how_urgent.value},
                now=at,
            )
            return handoff
        existing = handoff
    if _RANK[how_urgent] < _RANK[Urgency(existing.urgency)]:
        existing.urgency = how_urgent
        existing.reason = why
    if notes and notes != existing.summary:
        existing.summary = f"{existing.summary}\n{notes}" if existing.summary else notes
    if tenancy_id is not None and existing.tenancy_id is None:
        existing.tenancy_id = tenancy_id
    existing.updated_at = at
    session.flush()
    return existing


def claim(*, session: Session, reference: str, staff_username: str, now: datetime | None = None) -> Handoff:
    """Give a waiting handoff to a member of staff; of two simultaneous claims exactly one succeeds.

    Raises:
        InvalidReference, HandoffNotFound: For a bad reference.
        StaffUserNotFound: If the username names nobody; AccountLocked if the account is disabled.
        AlreadyClaimed: If someone holds it already or it is closed.

    """
    at = resolve_now(now)
    member = staff.get_or_raise(session=session, username=staff_username)
    if not member.is_active:
        raise AccountLocked(f"staff account {member.username} is disabled")
    handoff = get_or_raise(session=session, reference=reference)
    table = Handoff.__table__
    result = session.execute(
        sql_update(table)
        .where(table.c.id == handoff.id, table.c.status == HandoffStatus.WAITING)
        .values(status=HandoffStatus.CLAIMED, claimed_by_id=member.id, claimed_at=at, updated_at=at)
    )
    session.refresh(handoff)
    if result.rowcount != 1:
        holder = handoff.claimed_by.username if handoff.claimed_by is not None else None
        raise AlreadyClaimed(f"handoff {handoff.reference} is {handoff.status.value} (held by {holder})")
    audit.record(
        session=session,
        actor=f"staff:{member.username}",
        action="handoff.claimed",
        subject=handoff.reference,
        now=at,
    )
    return handoff


def take_over(
    *, session: Session, reference: str, staff_username: str, from_username: str, now: datetime | None = None
) -> Handoff:
    """Move a claimed handoff from its holder to another member of staff (a supervisor taking back a stale claim).

    The move happens only if `from_username` still holds it, so a take-over racing a reply, a release or another
    take-over never takes the conversation from someone the caller did not see holding it.

    Raises:
        InvalidReference, HandoffNotFound: For a bad reference.
        StaffUserNotFound: If either username names nobody; AccountLocked if the new holder's account is disabled.
        AlreadyClaimed: If `from_username` no longer holds it (released, closed or taken by someone else).
    """
    at = resolve_now(now)
    member = staff.get_or_raise(session=session, username=staff_username)
    if not member.is_active:
        raise AccountLocked(f"staff account {member.username} is disabled")
    previous = staff.get_or_raise(session=session, username=from_username)
    handoff = get_or_raise(session=session, reference=reference)
    table = Handoff.__table__
    result = session.execute(
        sql_update(table)
        .where(
            table.c.id == handoff.id,
            table.c.status == HandoffStatus.CLAIMED,
            table.c.claimed_by_id == previous.id,
        )
        .values(claimed_by_id=member.id, claimed_at=at, updated_at=at)
    )
    session.refresh(handoff)
    if result.rowcount != 1:
        raise AlreadyClaimed(f"handoff {handoff.reference} is no longer held by {previous.username}")
    audit.record(
        session=session,
        actor=f"staff:{member.username}",
        action="handoff.taken_over",
        subject=handoff.reference,
        details={"from": previous.username},
        now=at,
    )
    return handoff


def release(*, session: Session, reference: str, staff_username: str, now: datetime | None = None) -> Handoff:
    """Put a claimed handoff back in the queue; only its holder can.

    Raises:
        InvalidReference, HandoffNotFound: For a bad reference.
        StaffUserNotFound: If the username names nobody.
        AlreadyClaimed: If the handoff is not held by this member of staff.

    """
    at = resolve_now(now)
    member = staff.get_or_raise(session=session, username=staff_username)
    handoff = get_or_raise(session=session, reference=reference)
    table = Handoff.__table__
    result = session.execute(
        sql_update(table)
        .where(
            table.c.id == handoff.id,
            table.c.status == HandoffStatus.CLAIMED,
            table.c.claimed_by_id == member.id,
        )
        .values(status=HandoffStatus.WAITING, claimed_by_id=None, claimed_at=None, updated_at=at)
    )
    session.refresh(handoff)
    if result.rowcount != 1:
        raise AlreadyClaimed(f"handoff {handoff.reference} is not held by {member.username}")
    audit.record(
        session=session,
        actor=f"staff:{member.username}",
        action="handoff.released",
        subject=handoff.reference,
        now=at,
    )
    return handoff


def close(
    *,
    session: Session,
    reference: str,
    staff_username: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Handoff:
    """Close a handoff; the conversation goes back to the assistant.

    A claimed handoff can be closed only by its holder; a waiting one by anyone (or the system, when the
    tenant says they no longer need help).

    Raises:
        InvalidReference, HandoffNotFound: For a bad reference.
        StaffUserNotFound: If the username names nobody.
        AlreadyClaimed: If someone else holds it.
        InvalidStatusTransition: If it is already closed.

    """
    at = resolve_now(now)
    member = staff.get_or_raise(session=session, username=staff_username) if staff_username is not None else None
    words = clean_text(note, field="note", required=False)
    handoff = get_or_raise(session=session, reference=reference)
    if HandoffStatus(handoff.status) is HandoffStatus.CLOSED:
        raise InvalidStatusTransition(f"handoff {handoff.reference} is already closed")
    if HandoffStatus(handoff.status) is HandoffStatus.CLAIMED and (
        member is None or handoff.claimed_by_id != member.id
    ):
        raise AlreadyClaimed(f"handoff {handoff.reference} is held by someone else")
    table = Handoff.__table__
    result = session.execute(
        sql_update(table)
        .where(
            table.c.id == handoff.id,
            table.c.status == handoff.status,
            table.c.claimed_by_id == handoff.claimed_by_id,
        )
        .values(status=HandoffStatus.CLOSED, closed_at=at, closing_note=words, updated_at=at)
    )
    session.refresh(handoff)
    if result.rowcount != 1:
        raise AlreadyClaimed(f"handoff {handoff.reference} changed while closing; try again")
    actor = f"staff:{member.username}" if member is not None else SYSTEM_ACTOR
    audit.record(session=session, actor=actor, action="handoff.closed", subject=handoff.reference, now=at)
    return handoff


def update(
    *,
    session: Session,
    reference: str,
    urgency: Urgency | str | None = None,
    summary: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Handoff:
    """Change an open handoff's urgency or replace its summary; arguments left as None are unchanged.

    Raises:
        InvalidReference, HandoffNotFound: For a bad reference.
        InvalidChoice: For an unknown urgency.
        InvalidStatusTransition: If the handoff is closed.

    """
    at = resolve_now(now)
    how_urgent = choice(Urgency, urgency, "urgency") if urgency is not None else None
    notes = clean_text(summary, field="summary", required=False) if summary is not None else None
    handoff = get_or_raise(session=session, reference=reference)
    if HandoffStatus(handoff.status) is HandoffStatus.CLOSED:
        raise InvalidStatusTransition(f"handoff {handoff.reference} is closed")
    if how_urgent is not None:
        handoff.urgency = how_urgent
    if notes is not None:
        handoff.summary = notes
    handoff.updated_at = at
    session.flush()
    audit.record(session=session, actor=actor, action="handoff.updated", subject=handoff.reference, now=at)
    return handoff
