"""Welfare concerns (safeguarding): someone worried about a person's safety or wellbeing.

Anyone can raise one, tenant or not, so the tenancy is optional. An emergency concern also needs a person at
once; the conversation layer opens a handoff with reason "welfare" alongside it.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import audit, references
from bot.housing._common import SYSTEM_ACTOR, change_case_status, choice, find_by_reference, find_tenancy, resolve_now
from bot.housing.enums import CaseStatus, Channel, Urgency
from bot.housing.errors import WelfareConcernNotFound
from bot.housing.models import WelfareConcern
from bot.housing.validation import clean_text, normalise_channel_address, require_text

_URGENCY_ORDER = {Urgency.EMERGENCY: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}


def get(*, session: Session, reference: str) -> WelfareConcern | None:
    """Return the concern with WEL reference `reference`, or None.

    Raises:
        InvalidReference: If the reference is malformed.

    """
    found: WelfareConcern | None = find_by_reference(session, WelfareConcern, references.WELFARE, reference)
    return found


def get_or_raise(*, session: Session, reference: str) -> WelfareConcern:
    """Return the concern with WEL reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        WelfareConcernNotFound: If there is none.

    """
    concern = get(session=session, reference=reference)
    if concern is None:
        raise WelfareConcernNotFound(f"no welfare concern {reference}")
    return concern


def list(
    *, session: Session, open_only: bool = True, tenancy_reference: str | None = None, limit: int = 50
) -> builtins.list[WelfareConcern]:
    """Return concerns, most urgent first, then oldest first (the order staff should work them).

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy.

    """
    statement = select(WelfareConcern).order_by(WelfareConcern.reported_at, WelfareConcern.id)
    if open_only:
        statement = statement.where(WelfareConcern.status != CaseStatus.CLOSED)
    if tenancy_reference is not None:
        statement = statement.where(WelfareConcern.tenancy_id == find_tenancy(session, tenancy_reference).id)
    found = builtins.list(session.execute(statement).scalars().all())
    found.sort(key=lambda concern: _URGENCY_ORDER[Urgency(concern.urgency)])
    return found[:limit]


def create(
    *,
    session: Session,
    subject: str,
    concern: str,
    urgency: Urgency | str = Urgency.NORMAL,
    location: str | None = None,
    tenancy_reference: str | None = None,
    reporter_channel: Channel | str | None = None,
    reporter_address: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> WelfareConcern:
    """Record a welfare concern.

    Args:
        session: The open session.
        subject: Who the concern is about ("my neighbour at number 12").
        concern: What is worrying the reporter.
        urgency: Emergency (someone is in danger now), high or normal.
        location: Where the person is, if given.
        tenancy_reference: The reporter's tenancy, if they are a verified tenant.
        reporter_channel: The channel the reporter used, if any.
        reporter_address: Their number or Telegram id on that channel.
        actor: Who reported it, for the audit log.
        now: The current time; the real clock when None.

    Raises:
        EmptyDescription, TextTooLong: For a blank or over-long subject or concern.
        InvalidChoice: For an unknown urgency or channel.
        InvalidPhoneNumber: For a malformed reporter address.
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy.

    """
    at = resolve_now(now)
    who = require_text(subject, field="subject", max_length=200)
    what = require_text(concern, field="concern")
    how_urgent = choice(Urgency, urgency, "urgency")
    where = clean_text(location, field="location", max_length=200, required=False)
    channel = choice(Channel, reporter_channel, "reporter_channel") if reporter_channel is not None else None
    address = None
    if reporter_address is not None:
        address = normalise_channel_address(channel or Channel.SMS, reporter_address)
    tenancy_id = find_tenancy(session, tenancy_reference).id if tenancy_reference is not None else None
    record = WelfareConcern(
        reference=references.next_reference(session, references.WELFARE),
        tenancy_id=tenancy_id,
        reporter_channel=channel,
        reporter_address=address,
        subject=who,
        concern=what,
        location=where,
        urgency=how_urgent,
        status=CaseStatus.OPEN,
        reported_at=at,
        created_at=at,
        updated_at=at,
    )
    session.add(record)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="welfare.created",
        subject=record.reference,
        details={"urgency": how_urgent.value},
        now=at,
    )
    return record


def update(
    *,
    session: Session,
    reference: str,
    status: CaseStatus | str,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> WelfareConcern:
    """Change a concern's status (open, in progress, closed).

    Raises:
        InvalidReference, WelfareConcernNotFound: For a bad reference.
        InvalidChoice: For an unknown status.
        InvalidStatusTransition: If the concern already has that status.

    """
    record = get_or_raise(session=session, reference=reference)
    return change_case_status(
        session, record, status, noun="concern", audit_action="welfare", actor=actor, now=resolve_now(now)
    )
