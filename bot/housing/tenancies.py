"""Tenancies: who lives where on what rent, identified by the TN reference tenants quote."""

from __future__ import annotations

import builtins
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.housing import audit, properties, tenants
from bot.housing._common import (
    SYSTEM_ACTOR,
    find_tenancy,
    household_is_vulnerable,
    household_tenants,
    resolve_now,
    today_in_england,
)
from bot.housing.errors import DuplicateRecord, InvalidDate, InvalidInput
from bot.housing.models import RentAccount, Tenancy, TenancyTenant, Tenant
from bot.housing.validation import normalise_postcode, normalise_tenancy_reference, parse_amount


def payment_reference_for(reference: str) -> str:
    """Return the reference to quote when paying rent on tenancy `reference` ("TN104233" -> "TL104233")."""
    return "TL" + normalise_tenancy_reference(reference)[2:]


def get(*, session: Session, reference: str) -> Tenancy | None:
    """Return the tenancy with TN reference `reference` (any case or spacing), or None.

    Raises:
        InvalidTenancyReference: If the reference is malformed.

    """
    canonical = normalise_tenancy_reference(reference)
    return session.execute(select(Tenancy).where(Tenancy.reference == canonical)).scalar_one_or_none()


def get_or_raise(*, session: Session, reference: str) -> Tenancy:
    """Return the tenancy with TN reference `reference`.

    Raises:
        InvalidTenancyReference: If the reference is malformed.
        TenancyNotFound: If there is none.

    """
    return find_tenancy(session, reference)


def list(
    *,
    session: Session,
    tenant_id: int | None = None,
    postcode: str | None = None,
    current_only: bool = False,
    now: datetime | None = None,
    limit: int = 100,
) -> builtins.list[Tenancy]:
    """Return tenancies, optionally one tenant's, at one postcode, or only those not yet ended.

    Raises:
        InvalidPostcode: For a malformed `postcode`.

    """
    statement = select(Tenancy).order_by(Tenancy.reference).limit(limit)
    if tenant_id is not None:
        statement = statement.join(TenancyTenant, TenancyTenant.tenancy_id == Tenancy.id).where(
            TenancyTenant.tenant_id == tenant_id
        )
    if postcode is not None:
        statement = statement.where(Tenancy.property.has(postcode=normalise_postcode(postcode)))
    if current_only:
        today = today_in_england(resolve_now(now))
        statement = statement.where(or_(Tenancy.end_date.is_(None), Tenancy.end_date >= today))
    return builtins.list(session.execute(statement).scalars().unique().all())


def household(*, session: Session, reference: str) -> builtins.list[Tenant]:
    """Return the tenants of a tenancy, lead tenant first.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad reference.

    """
    return household_tenants(session, find_tenancy(session, reference).id)


def is_vulnerable(*, session: Session, reference: str) -> bool:
    """Return whether anyone in the household is elderly, disabled, has young children or a medical need.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad reference.

    """
    return household_is_vulnerable(session, find_tenancy(session, reference).id)


def create(
    *,
    session: Session,
    reference: str,
    property_id: int,
    tenant_ids: builtins.list[int],
    start_date: date,
    weekly_rent: Decimal | int | str,
    rent_day: int = 0,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Tenancy:
    """Create a tenancy for `tenant_ids` (the first is the lead tenant) with its rent account.

    Args:
        session: The open session.
        reference: The TN reference, any case.
        property_id: The home let.
        tenant_ids: The tenants named on the tenancy, lead tenant first.
        start_date: First day of the tenancy.
        weekly_rent: Rent per week.
        rent_day: Weekday rent falls due, Monday = 0.
        actor: Who is creating it, for the audit log.
        now: The current time; the real clock when None.

    Raises:
        InvalidTenancyReference: If the reference is malformed.
        DuplicateRecord: If a tenancy already has the reference.
        PropertyNotFound, TenantNotFound: If the property or a tenant does not exist.
        InvalidInput: If no tenant is named or `rent_day` is not 0-6; InvalidAmount for a bad rent.

    """
    at = resolve_now(now)
    canonical = normalise_tenancy_reference(reference)
    rent = parse_amount(weekly_rent, field="weekly_rent")
    if not tenant_ids or len(set(tenant_ids)) != len(tenant_ids):
        raise InvalidInput("a tenancy names at least one tenant, each once")
    if isinstance(rent_day, bool) or not isinstance(rent_day, int) or not 0 <= rent_day <= 6:
        raise InvalidInput(f"rent_day must be 0 (Monday) to 6 (Sunday), got {rent_day!r}")
    home = properties.get_or_raise(session=session, property_id=property_id)
    for tenant_id in tenant_ids:
        tenants.get_or_raise(session=session, tenant_id=tenant_id)
    if get(session=session, reference=canonical) is not None:
        raise DuplicateRecord(f"tenancy {canonical} already exists")
    tenancy = Tenancy(
        reference=canonical,
        property_id=home.id,
        start_date=start_date,
        weekly_rent=rent,
        payment_reference=payment_reference_for(canonical),
        created_at=at,
        updated_at=at,
    )
    session.add(tenancy)
    session.flush()
    for position, tenant_id in enumerate(tenant_ids):
        session.add(TenancyTenant(tenancy_id=tenancy.id, tenant_id=tenant_id, is_lead=position == 0))
    session.add(
        RentAccount(tenancy_id=tenancy.id, balance=Decimal("0"), rent_day=rent_day, created_at=at, updated_at=at)
    )
    session.flush()
    audit.record(session=session, actor=actor, action="tenancy.created", subject=canonical, now=at)
    return tenancy


def update(
    *,
    session: Session,
    reference: str,
    end_date: date | None = None,
    weekly_rent: Decimal | int | str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Tenancy:
    """Set a tenancy's end date or change its weekly rent; arguments left as None are unchanged.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad reference.
        InvalidDate: If the end date is before the start date; InvalidAmount for a bad rent.

    """
    at = resolve_now(now)
    tenancy = find_tenancy(session, reference)
    rent = parse_amount(weekly_rent, field="weekly_rent") if weekly_rent is not None else None
    if end_date is not None and end_date < tenancy.start_date:
        raise InvalidDate(f"end date {end_date.isoformat()} is before the start {tenancy.start_date.isoformat()}")
    details: dict[str, object] = {}
    if end_date is not None:
        tenancy.end_date = end_date
        details["end_date"] = end_date.isoformat()
    if rent is not None:
        details["weekly_rent"] = {"from": str(tenancy.weekly_rent), "to": str(rent)}
        tenancy.weekly_rent = rent
    tenancy.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="tenancy.updated",
        subject=tenancy.reference,
        details=details,
        now=at,
    )
    return tenancy
