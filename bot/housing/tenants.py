"""Tenants: the people named on tenancies, with their contact details and vulnerability flags."""

from __future__ import annotations

import builtins
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import audit
from bot.housing._common import SYSTEM_ACTOR, find_tenancy, household_tenants, resolve_now, today_in_england
from bot.housing.errors import InvalidDate, TenantNotFound
from bot.housing.models import Tenant
from bot.housing.validation import normalise_email, normalise_name, normalise_phone

OLDEST_PLAUSIBLE_AGE_YEARS = 120


def _check_date_of_birth(date_of_birth: date, now: datetime) -> date:
    today = today_in_england(now)
    if date_of_birth > today:
        raise InvalidDate(f"date of birth {date_of_birth.isoformat()} is in the future")
    if today.year - date_of_birth.year > OLDEST_PLAUSIBLE_AGE_YEARS:
        raise InvalidDate(f"date of birth {date_of_birth.isoformat()} is implausibly long ago")
    return date_of_birth


def get(*, session: Session, tenant_id: int) -> Tenant | None:
    """Return the tenant with `tenant_id`, or None."""
    return session.get(Tenant, tenant_id)


def get_or_raise(*, session: Session, tenant_id: int) -> Tenant:
    """Return the tenant with `tenant_id`.

    Raises:
        TenantNotFound: If there is none.

    """
    tenant = get(session=session, tenant_id=tenant_id)
    if tenant is None:
        raise TenantNotFound(f"no tenant {tenant_id}")
    return tenant


def list(
    *, session: Session, tenancy_reference: str | None = None, phone: str | None = None, limit: int = 100
) -> builtins.list[Tenant]:
    """Return tenants, lead tenant first for a tenancy, optionally filtered by tenancy or phone number.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad `tenancy_reference`.
        InvalidPhoneNumber: For a malformed `phone`.

    """
    if tenancy_reference is not None:
        tenancy = find_tenancy(session, tenancy_reference)
        found = household_tenants(session, tenancy.id)
        if phone is not None:
            wanted = normalise_phone(phone)
            found = [tenant for tenant in found if tenant.phone == wanted]
        return found[:limit]
    statement = select(Tenant).order_by(Tenant.id).limit(limit)
    if phone is not None:
        statement = statement.where(Tenant.phone == normalise_phone(phone))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    phone: str | None = None,
    email: str | None = None,
    is_elderly: bool = False,
    has_disability: bool = False,
    has_young_children: bool = False,
    has_medical_need: bool = False,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Tenant:
    """Create a tenant.

    Raises:
        InvalidName: If a name is blank or too long.
        InvalidDate: If the date of birth is in the future or implausibly early.
        InvalidPhoneNumber, InvalidEmail: For malformed contact details.

    """
    at = resolve_now(now)
    tenant = Tenant(
        first_name=normalise_name(first_name),
        last_name=normalise_name(last_name),
        date_of_birth=_check_date_of_birth(date_of_birth, at),
        phone=normalise_phone(phone) if phone else None,
        email=normalise_email(email) if email else None,
        is_elderly=is_elderly,
        has_disability=has_disability,
        has_young_children=has_young_children,
        has_medical_need=has_medical_need,
        created_at=at,
        updated_at=at,
    )
    session.add(tenant)
    session.flush()
    audit.record(session=session, actor=actor, action="tenant.created", subject=f"tenant:{tenant.id}", now=at)
    return tenant


def update(
    *,
    session: Session,
    tenant_id: int,
    first_name: str | None = None,
    last_name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    is_elderly: bool | None = None,
    has_disability: bool | None = None,
    has_young_children: bool | None = None,
    has_medical_need: bool | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Tenant:
    """Change a tenant's details; arguments left as None are unchanged.

    Raises:
        TenantNotFound: If there is no such tenant.
        InvalidName, InvalidPhoneNumber, InvalidEmail: For malformed values (nothing is changed).

    """
    at = resolve_now(now)
    tenant = get_or_raise(session=session, tenant_id=tenant_id)
    changes: dict[str, object] = {}
    if first_name is not None:
        changes["first_name"] = normalise_name(first_name)
    if last_name is not None:
        changes["last_name"] = normalise_name(last_name)
    if phone is not None:
        changes["phone"] = normalise_phone(phone)
    if email is not None:
        changes["email"] = normalise_email(email)
    flags = {
        "is_elderly": is_elderly,
        "has_disability": has_disability,
        "has_young_children": has_young_children,
        "has_medical_need": has_medical_need,
    }
    changes.update({name: value for name, value in flags.items() if value is not None})
    for name, value in changes.items():
        setattr(tenant, name, value)
    tenant.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="tenant.updated",
        subject=f"tenant:{tenant.id}",
        details={"fields": sorted(changes)},
        now=at,
    )
    return tenant
