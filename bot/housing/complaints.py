"""Complaints under the Housing Ombudsman's Complaint Handling Code (statutory since 1 April 2024).

DOMAIN.md, "Complaints": two stages only. Stage 1: acknowledge within 5 working days of receipt, respond
within 10 working days of the acknowledgement, extendable by at most 10 working days. Stage 2 (escalation, no
reasons needed): acknowledge within 5 working days, respond within 20 working days of the acknowledgement. The
dates come from `bot.clocks.complaints`; the response deadline is recomputed from the real acknowledgement
date.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clocks.complaints import (
    MAX_EXTENSION_WORKING_DAYS,
    extend_response,
    stage1_dates,
    stage1_respond_by,
    stage2_dates,
    stage2_respond_by,
)
from bot.housing import audit, references
from bot.housing._common import (
    SYSTEM_ACTOR,
    choice,
    find_current_tenancy,
    find_tenancy,
    require_aware,
    resolve_now,
    today_in_england,
)
from bot.housing.enums import ComplaintStatus
from bot.housing.errors import (
    AlreadyEscalated,
    ComplaintNotFound,
    ExtensionLimitExceeded,
    InvalidDate,
    InvalidInput,
    InvalidStatusTransition,
)
from bot.housing.models import Complaint
from bot.housing.validation import clean_text, require_text

OPEN_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.RESPONDED)


def get(*, session: Session, reference: str) -> Complaint | None:
    """Return the complaint with CMP reference `reference`, or None.

    Raises:
        InvalidReference: If the reference is malformed.

    """
    canonical = references.parse_reference(reference, references.COMPLAINT)
    return session.execute(select(Complaint).where(Complaint.reference == canonical)).scalar_one_or_none()


def get_or_raise(*, session: Session, reference: str) -> Complaint:
    """Return the complaint with CMP reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        ComplaintNotFound: If there is none.

    """
    complaint = get(session=session, reference=reference)
    if complaint is None:
        raise ComplaintNotFound(f"no complaint {reference}")
    return complaint


def list(
    *, session: Session, tenancy_reference: str, open_only: bool = False, limit: int = 20
) -> builtins.list[Complaint]:
    """Return a tenancy's complaints, newest first; open ones are those not closed.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy.

    """
    tenancy = find_tenancy(session, tenancy_reference)
    statement = (
        select(Complaint)
        .where(Complaint.tenancy_id == tenancy.id)
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit)
    )
    if open_only:
        statement = statement.where(Complaint.status.in_(OPEN_STATUSES))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    tenancy_reference: str,
    what_happened: str,
    desired_outcome: str,
    received_at: datetime | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Complaint:
    """Log a stage 1 complaint with its acknowledgement and response deadlines.

    Raises:
        InvalidTenancyReference, TenancyNotFound, TenancyEnded: For a bad tenancy.
        EmptyDescription, TextTooLong: For a blank or over-long answer.
        InvalidDate: If `received_at` is naive or in the future.

    """
    at = resolve_now(now)
    happened = require_text(what_happened, field="what_happened")
    outcome = require_text(desired_outcome, field="desired_outcome")
    received = require_aware(received_at, "received_at") if received_at is not None else at
    if received > at:
        raise InvalidDate("a complaint cannot be received in the future")
    tenancy = find_current_tenancy(session, tenancy_reference, at)
    dates = stage1_dates(received)
    complaint = Complaint(
        reference=references.next_reference(session, references.COMPLAINT),
        tenancy_id=tenancy.id,
        stage=1,
        status=ComplaintStatus.RECEIVED,
        what_happened=happened,
        desired_outcome=outcome,
        received_at=received,
        stage1_acknowledge_by=dates.acknowledge_by,
        stage1_respond_by=dates.respond_by,
        stage1_extension_days=0,
        stage2_extension_days=0,
        created_at=at,
        updated_at=at,
    )
    session.add(complaint)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="complaint.created",
        subject=complaint.reference,
        details={"tenancy": tenancy.reference, "acknowledge_by": dates.acknowledge_by.isoformat()},
        now=at,
    )
    return complaint


def acknowledge(
    *, session: Session, reference: str, actor: str = SYSTEM_ACTOR, now: datetime | None = None
) -> Complaint:
    """Record the acknowledgement of the current stage; the response deadline runs from today.

    Raises:
        InvalidReference, ComplaintNotFound: For a bad reference.
        InvalidStatusTransition: If the stage is already acknowledged, answered or closed.

    """
    at = resolve_now(now)
    complaint = get_or_raise(session=session, reference=reference)
    if ComplaintStatus(complaint.status) is not ComplaintStatus.RECEIVED:
        raise InvalidStatusTransition(f"complaint {complaint.reference} is {complaint.status.value}")
    today = today_in_england(at)
    if complaint.stage == 1:
        respond_by = stage1_respond_by(today)
        if complaint.stage1_extension_days:
            respond_by = extend_response(respond_by, complaint.stage1_extension_days)
        complaint.stage1_acknowledged_at, complaint.stage1_respond_by = at, respond_by
    else:
        respond_by = stage2_respond_by(today)
        if complaint.stage2_extension_days:
            respond_by = extend_response(respond_by, complaint.stage2_extension_days)
        complaint.stage2_acknowledged_at, complaint.stage2_respond_by = at, respond_by
    complaint.status = ComplaintStatus.ACKNOWLEDGED
    complaint.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"complaint.stage{complaint.stage}_acknowledged",
        subject=complaint.reference,
        details={"respond_by": respond_by.isoformat()},
        now=at,
    )
    return complaint


def extend(
    *,
    session: Session,
    reference: str,
    working_days: int,
    reason: str,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Complaint:
    """Extend the current stage's response deadline, giving the reason (the Code caps it at 10 working days).

    Raises:
        InvalidReference, ComplaintNotFound: For a bad reference.
        InvalidInput: If `working_days` is not a positive whole number.
        EmptyDescription: If no reason is given.
        ExtensionLimitExceeded: If the stage would be extended by more than 10 working days in all.
        InvalidStatusTransition: If the stage has been answered or the complaint closed.

    """
    at = resolve_now(now)
    if isinstance(working_days, bool) or not isinstance(working_days, int) or working_days < 1:
        raise InvalidInput(f"an extension is a positive number of working days, got {working_days!r}")
    why = require_text(reason, field="reason")
    complaint = get_or_raise(session=session, reference=reference)
    if ComplaintStatus(complaint.status) not in (ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED):
        raise InvalidStatusTransition(f"complaint {complaint.reference} is {complaint.status.value}")
    stage2 = complaint.stage == 2
    already = complaint.stage2_extension_days if stage2 else complaint.stage1_extension_days
    if already + working_days > MAX_EXTENSION_WORKING_DAYS:
        raise ExtensionLimitExceeded(
            f"{already} working days already granted; at most {MAX_EXTENSION_WORKING_DAYS} in all"
        )
    current = complaint.stage2_respond_by if stage2 else complaint.stage1_respond_by
    respond_by = extend_response(current, working_days, already_extended=already)
    if stage2:
        complaint.stage2_respond_by, complaint.stage2_extension_days = respond_by, already + working_days
    else:
        complaint.stage1_respond_by, complaint.stage1_extension_days = respond_by, already + working_days
    complaint.extension_reason = why
    complaint.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"complaint.stage{complaint.stage}_extended",
        subject=complaint.reference,
        details={"working_days": working_days, "respond_by": respond_by.isoformat(), "reason": why},
        now=at,
    )
    return complaint


def respond(*, session: Session, reference: str, actor: str = SYSTEM_ACTOR, now: datetime | None = None) -> Complaint:
    """Record that the current stage's full response was sent.

    Raises:
        InvalidReference, ComplaintNotFound: For a bad reference.
        InvalidStatusTransition: If the stage was already answered or the complaint is closed.

    """
    at = resolve_now(now)
    complaint = get_or_raise(session=session, reference=reference)
    if ComplaintStatus(complaint.status) not in (ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED):
        raise InvalidStatusTransition(f"complaint {complaint.reference} is {complaint.status.value}")
    if complaint.stage == 1:
        complaint.stage1_responded_at = at
    else:
        complaint.stage2_responded_at = at
    complaint.status = ComplaintStatus.RESPONDED
    complaint.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"complaint.stage{complaint.stage}_responded",
        subject=complaint.reference,
        now=at,
    )
    return complaint


def escalate(
    *,
    session: Session,
    reference: str,
    reason: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Complaint:
    """Escalate a complaint to stage 2, the last stage; the resident need not give a reason.

    Raises:
        InvalidReference, ComplaintNotFound: For a bad reference.
        AlreadyEscalated: If the complaint is already at stage 2.

    """
    at = resolve_now(now)
    why = clean_text(reason, field="reason", required=False)
    complaint = get_or_raise(session=session, reference=reference)
    if complaint.stage == 2:
        raise AlreadyEscalated(f"complaint {complaint.reference} is already at stage 2")
    dates = stage2_dates(at)
    complaint.stage = 2
    complaint.status = ComplaintStatus.RECEIVED
    complaint.escalated_at = at
    complaint.escalation_reason = why
    complaint.stage2_acknowledge_by = dates.acknowledge_by
    complaint.stage2_respond_by = dates.respond_by
    complaint.closed_at = None
    complaint.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="complaint.escalated",
        subject=complaint.reference,
        details={"acknowledge_by": dates.acknowledge_by.isoformat()},
        now=at,
    )
    return complaint


def update(
    *,
    session: Session,
    reference: str,
    status: ComplaintStatus | str,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Complaint:
    """Close a complaint (the other statuses are reached through acknowledge, respond and escalate).

    Raises:
        InvalidReference, ComplaintNotFound: For a bad reference.
        InvalidChoice: For an unknown status.
        InvalidStatusTransition: For any status but closed, or if it is already closed.

    """
    at = resolve_now(now)
    target = choice(ComplaintStatus, status, "status")
    complaint = get_or_raise(session=session, reference=reference)
    if target is not ComplaintStatus.CLOSED or ComplaintStatus(complaint.status) is ComplaintStatus.CLOSED:
        raise InvalidStatusTransition(
            f"complaint {complaint.reference} cannot go from {complaint.status.value} to {target.value} here"
        )
    complaint.status = ComplaintStatus.CLOSED
    complaint.closed_at = at
    complaint.updated_at = at
    session.flush()
    audit.record(session=session, actor=actor, action="complaint.closed", subject=complaint.reference, now=at)
    return complaint
