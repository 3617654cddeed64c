"""Contact-detail change requests: a tenant asks to change a phone number, email or name; staff apply it.

The new value is checked when the request is made (a phone number must be a real number, an email plausible),
and only copied to the tenant's record when staff mark the request applied.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import audit, references
from bot.housing._common import (
    SYSTEM_ACTOR,
    choice,
    find_by_reference,
    find_current_tenancy,
    find_tenancy,
    household_tenants,
    resolve_now,
)
from bot.housing.enums import ContactField, RequestStatus
from bot.housing.errors import ContactChangeNotFound, InvalidName, InvalidStatusTransition, TenantNotFound
from bot.housing.models import ContactChangeRequest, Tenant
from bot.housing.validation import normalise_email, normalise_name, normalise_phone


def _checked_value(field: ContactField, value: str) -> str:
    if field is ContactField.PHONE:
        return normalise_phone(value)
    if field is ContactField.EMAIL:
        return normalise_email(value)
    name = normalise_name(value, max_length=161)
    if len(name.split(" ")) < 2:
        raise InvalidName("give a first name and a last name")
    return name


def _apply(tenant: Tenant, field: ContactField, value: str) -> None:
    if field is ContactField.PHONE:
        tenant.phone = value
    elif field is ContactField.EMAIL:
        tenant.email = value
    else:
        first, last = value.split(" ", 1)
        tenant.first_name, tenant.last_name = first[:80], last[:80]


def get(*, session: Session, reference: str) -> ContactChangeRequest | None:
    """Return the request with CON reference `reference`, or None.

    Raises:
        InvalidReference: If the reference is malformed.

    """
    found: ContactChangeRequest | None = find_by_reference(
        session, ContactChangeRequest, references.CONTACT_CHANGE, reference
    )
    return found


def get_or_raise(*, session: Session, reference: str) -> ContactChangeRequest:
    """Return the request with CON reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        ContactChangeNotFound: If there is none.

    """
    found = get(session=session, reference=reference)
    if found is None:
        raise ContactChangeNotFound(f"no contact change request {reference}")
    return found


def list(
    *,
    session: Session,
    tenancy_reference: str | None = None,
    status: RequestStatus | str | None = None,
    limit: int = 50,
) -> builtins.list[ContactChangeRequest]:
    """Return requests, oldest first, optionally one tenancy's or in one status.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy; InvalidChoice for an unknown status.

    """
    statement = select(ContactChangeRequest).order_by(ContactChangeRequest.requested_at, ContactChangeRequest.id)
    if tenancy_reference is not None:
        tenancy = find_tenancy(session, tenancy_reference)
        statement = statement.where(ContactChangeRequest.tenancy_id == tenancy.id)
    if status is not None:
        statement = statement.where(ContactChangeRequest.status == choice(RequestStatus, status, "status"))
    return builtins.list(session.execute(statement.limit(limit)).scalars().all())


def create(
    *,
    session: Session,
    tenancy_reference: str,
    field: ContactField | str,
    new_value: str,
    tenant_id: int | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> ContactChangeRequest:
    """Ask for a contact detail of a tenant on the tenancy (the lead tenant by default) to change.

    Raises:
        InvalidTenancyReference, TenancyNotFound, TenancyEnded: For a bad tenancy.
        InvalidChoice: For an unknown field.
        InvalidPhoneNumber, InvalidEmail, InvalidName: If the new value is not valid for the field.
        TenantNotFound: If `tenant_id` is not a tenant on the tenancy.

    """
    at = resolve_now(now)
    which = choice(ContactField, field, "field")
    value = _checked_value(which, new_value)
    tenancy = find_current_tenancy(session, tenancy_reference, at)
    household = household_tenants(session, tenancy.id)
    if tenant_id is None:
        tenant = household[0] if household else None
    else:
        tenant = next((person for person in household if person.id == tenant_id), None)
    if tenant is None:
        raise TenantNotFound(f"tenant {tenant_id} is not on tenancy {tenancy.reference}")
    request = ContactChangeRequest(
        reference=references.next_reference(session, references.CONTACT_CHANGE),
        tenancy_id=tenancy.id,
        tenant_id=tenant.id,
        field=which,
        new_value=value,
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
        action="contact_change.created",
        subject=request.reference,
        details={"tenancy": tenancy.reference, "field": which.value},
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
) -> ContactChangeRequest:
    """Resolve a pending request: applied (the tenant's record changes), rejected or withdrawn.

    Raises:
        InvalidReference, ContactChangeNotFound: For a bad reference.
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
        tenant = session.get(Tenant, request.tenant_id)
        assert tenant is not None  # the foreign key guarantees it
        _apply(tenant, ContactField(request.field), request.new_value)
        tenant.updated_at = at
    request.status = target
    request.resolved_at = at
    request.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"contact_change.{target.value}",
        subject=request.reference,
        now=at,
    )
    return request
