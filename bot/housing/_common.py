"""Helpers every service module uses: the clock, choice parsing and loading a tenancy by its reference."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clocks.calendar import local_date
from bot.housing.enums import CaseStatus
from bot.housing.errors import InvalidChoice, InvalidDate, InvalidStatusTransition, TenancyEnded, TenancyNotFound
from bot.housing.models import Tenancy, TenancyTenant, Tenant
from bot.housing.references import parse_reference
from bot.housing.validation import normalise_tenancy_reference

SYSTEM_ACTOR = "system"
"""The actor recorded in the audit log when no person is named."""

E = TypeVar("E", bound=enum.Enum)


def resolve_now(now: datetime | None) -> datetime:
    """Return `now` in UTC, or the current instant when it is None.

    Raises:
        InvalidDate: If `now` is naive.

    """
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None or now.tzinfo.utcoffset(now) is None:
        raise InvalidDate(f"now={now.isoformat()} has no timezone; pass an aware datetime")
    return now.astimezone(timezone.utc)


def require_aware(moment: datetime, field: str) -> datetime:
    """Return `moment` in UTC.

    Raises:
        InvalidDate: If `moment` is naive.

    """
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise InvalidDate(f"{field}={moment.isoformat()} has no timezone; pass an aware datetime")
    return moment.astimezone(timezone.utc)


def today_in_england(now: datetime) -> date:
    """Return the date in England at the instant `now`."""
    return local_date(now)


def choice(enum_cls: type[E], value: E | str, field: str) -> E:
    """Return `value` as a member of `enum_cls`.

    Raises:
        InvalidChoice: If `value` is not one of the allowed values.

    """
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in enum_cls)
        raise InvalidChoice(f"{field} must be one of {allowed}; got {value!r}") from None


def find_tenancy(session: Session, reference: str) -> Tenancy:
    """Return the tenancy with TN reference `reference` (any case or spacing).

    Raises:
        InvalidTenancyReference: If the reference is malformed.
        TenancyNotFound: If no tenancy has it.

    """
    canonical = normalise_tenancy_reference(reference)
    tenancy = session.execute(select(Tenancy).where(Tenancy.reference == canonical)).scalar_one_or_none()
    if tenancy is None:
        raise TenancyNotFound(f"no tenancy {canonical}")
    return tenancy


def find_current_tenancy(session: Session, reference: str, now: datetime) -> Tenancy:
    """Return the tenancy with `reference`, refusing one that ended before today.

    Raises:
        InvalidTenancyReference: If the reference is malformed.
        TenancyNotFound: If no tenancy has it.
        TenancyEnded: If the tenancy's end date has passed.

    """
    tenancy = find_tenancy(session, reference)
    if tenancy.end_date is not None and tenancy.end_date < today_in_england(now):
        raise TenancyEnded(f"tenancy {tenancy.reference} ended on {tenancy.end_date.isoformat()}")
    return tenancy


def household_tenants(session: Session, tenancy_id: int) -> list[Tenant]:
    """Return the tenants of a tenancy, lead tenant first."""
    statement = (
        select(Tenant)
        .join(TenancyTenant, TenancyTenant.tenant_id == Tenant.id)
        .where(TenancyTenant.tenancy_id == tenancy_id)
        .order_by(TenancyTenant.is_lead.desc(), Tenant.id)
    )
    return list(session.execute(statement).scalars().all())


def household_is_vulnerable(session: Session, tenancy_id: int) -> bool:
    """Return whether anyone named on the tenancy has a vulnerability flag."""
    return any(tenant.is_vulnerable for tenant in household_tenants(session, tenancy_id))


def find_by_reference(session: Session, model: Any, prefix: str, reference: str) -> Any | None:
    """Return the `model` row whose reference is `reference` (as typed), or None.

    Raises:
        InvalidReference: If the reference is malformed, has another prefix or fails its check letter.

    """
    canonical = parse_reference(reference, prefix)
    return session.execute(select(model).where(model.reference == canonical)).scalar_one_or_none()


def change_case_status(
    session: Session, record: Any, status: CaseStatus | str, *, noun: str, audit_action: str, actor: str, now: datetime
) -> Any:
    """Move a case-like record (ASB case, welfare concern, income task) to another status and audit it.

    Args:
        session: The open session.
        record: The row, with `reference`, `status` and `updated_at`.
        status: The new status.
        noun: What the record is called in the error message ("case", "concern", "task").
        audit_action: The audit action's prefix ("asb" gives "asb.closed").
        actor: Who made the change.
        now: When.

    Returns:
        The record.

    Raises:
        InvalidChoice: For an unknown status.
        InvalidStatusTransition: If the record already has that status.
    """
    from bot.housing import audit  # audit imports this module

    target = choice(CaseStatus, status, "status")
    if record.status is target:
        raise InvalidStatusTransition(f"{noun} {record.reference} is already {target.value}")
    previous = record.status
    record.status = target
    record.updated_at = now
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"{audit_action}.{target.value}",
        subject=record.reference,
        details={"from": previous.value},
        now=now,
    )
    return record
