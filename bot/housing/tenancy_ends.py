"""Tenancy-end requests: a tenant giving notice, or a relative reporting that a tenant has died.

A bereavement needs the name of the person reporting it; the conversation layer also opens a handoff with
reason "bereavement" so a person follows up with care.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import audit, references
from bot.housing._common import (
    SYSTEM_ACTOR,
    choice,
    find_by_reference,
    find_current_tenancy,
    find_tenancy,
    resolve_now,
    today_in_england,
)
from bot.housing.enums import RequestStatus, TenancyEndReason
from bot.housing.errors import (
    DateInPast,
    EmptyDescription,
    InvalidDate,
    InvalidStatusTransition,
    TenancyEndNotFound,
)
from bot.housing.models import Tenancy, TenancyEndRequest
from bot.housing.validation import clean_text


def get(*, session: Session, reference: str) -> TenancyEndRequest | None:
    """Return the request with END reference `reference`, or None.

    Raises:
        InvalidReference: If the reference is malformed.

    """
    found: TenancyEndRequest | None = find_by_reference(session, TenancyEndRequest, references.TENANCY_END, reference)
    return found


def get_or_raise(*, session: Session, reference: str) -> TenancyEndRequest:
    """Return the request with END reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        TenancyEndNotFound: If there is none.

    """
    found = get(session=session, reference=reference)
    if found is None:
        raise TenancyEndNotFound(f"no tenancy end request {reference}")
    return found


def list(
    *, session: Session, tenancy_reference: str | None = None, status: RequestStatus | str | None = None
) -> builtins.list[TenancyEndRequest]:
    """Return requests, soonest end date first, optionally one tenancy's or in one status.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy; InvalidChoice for an unknown status.

    """
    statement = select(TenancyEndRequest).order_by(TenancyEndRequest.end_date, TenancyEndRequest.id)
    if tenancy_reference is not None:
        statement = statement.where(TenancyEndRequest.tenancy_id == find_tenancy(session, tenancy_reference).id)
    if status is not None:
        statement = statement.where(TenancyEndRequest.status == choice(RequestStatus, status, "status"))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    tenancy_reference: str,
    reason: TenancyEndReason | str,
    end_date: date,
    notice_date: date | None = None,
    reported_by_name: str | None = None,
    reported_by_relationship: str | None = None,
    forwarding_address: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> TenancyEndRequest:
    """Record notice that a tenancy is ending.

    Args:
        session: The open session.
        tenancy_reference: The tenancy ending.
        reason: Why (moving, transfer, care, bereavement, other).
        end_date: The last day of the tenancy asked for.
        notice_date: When notice was given; today in England when None.
        reported_by_name: Who is reporting, if not the tenant (required for a bereavement).
        reported_by_relationship: Their relationship to the tenant ("daughter").
        forwarding_address: Where to write afterwards (card numbers masked like all text).
        actor: Who recorded it, for the audit log.
        now: The current time; the real clock when None.

    Raises:
        InvalidTenancyReference, TenancyNotFound, TenancyEnded: For a bad tenancy.
        InvalidChoice: For an unknown reason.
        DateInPast: If the end date has passed.
        InvalidDate: If notice is dated in the future or after the end date.
        EmptyDescription: If a bereavement is reported without the reporter's name.

    """
    at = resolve_now(now)
    why = choice(TenancyEndReason, reason, "reason")
    today = today_in_england(at)
    given_on = notice_date or today
    if given_on > today:
        raise InvalidDate(f"notice cannot be dated in the future ({given_on.isoformat()})")
    if end_date < today:
        raise DateInPast(f"the end date {end_date.isoformat()} has passed")
    if end_date < given_on:
        raise InvalidDate("the end date is before the notice date")
    reporter = clean_text(reported_by_name, field="reported_by_name", max_length=120, required=False)
    relationship = clean_text(reported_by_relationship, field="reported_by_relationship", max_length=60, required=False)
    if why is TenancyEndReason.BEREAVEMENT and reporter is None:
        raise EmptyDescription("a bereavement needs the name of the person reporting it")
    forwarding = clean_text(forwarding_address, field="forwarding_address", max_length=500, required=False)
    tenancy = find_current_tenancy(session, tenancy_reference, at)
    request = TenancyEndRequest(
        reference=references.next_reference(session, references.TENANCY_END),
        tenancy_id=tenancy.id,
        reason=why,
        notice_date=given_on,
        end_date=end_date,
        reported_by_name=reporter,
        reported_by_relationship=relationship,
        forwarding_address=forwarding,
        status=RequestStatus.PENDING,
        requested_at=at,
        created_at=at,
        updated_at=at,
    )
    session.add(request)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="tenancy_end.created",
        subject=request.reference,
        details={"tenancy": tenancy.reference, "reason": why.value, "end_date": end_date.isoformat()},
        now=at,
    )
    return request


def update(
    *,
    session: Session,
    reference: str,
    status: RequestStatus | str,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> TenancyEndRequest:
    """Resolve a pending request: applied (the tenancy's end date is set), rejected or withdrawn.

    Raises:
        InvalidReference, TenancyEndNotFound: For a bad reference.
        InvalidChoice: For an unknown status.
        InvalidStatusTransition: If the request is not pending or the status is pending.

    """
    at = resolve_now(now)
    target = choice(RequestStatus, status, "status")
    request = get_or_raise(session=session, reference=reference)
    if request.status is not RequestStatus.PENDING or target is RequestStatus.PENDING:
        raise InvalidStatusTransition(
            f"request {request.reference} cannot go from {request.status.value} to {target.value}"
        )
    if target is RequestStatus.APPLIED:
        tenancy = session.get(Tenancy, request.tenancy_id)
        assert tenancy is not None  # the foreign key guarantees it
        tenancy.end_date = request.end_date
        tenancy.updated_at = at
    request.status = target
    request.updated_at = at
    session.flush()
    audit.record(session=session, actor=actor, action=f"tenancy_end.{target.value}", subject=request.reference, now=at)
    return request
