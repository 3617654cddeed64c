import pytest

from bot.housing import contact_changes, tenants
from bot.housing.db import session_scope
from bot.housing.enums import RequestStatus
from bot.housing.errors import (
    InvalidChoice,
    InvalidEmail,
    InvalidName,
    InvalidPhoneNumber,
    InvalidStatusTransition,
    TenantNotFound,
)


def test_change_is_checked_when_asked_and_applied_only_by_staff(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        request = contact_changes.create(
            session=session, tenancy_reference=tenancy, field="phone", new_value="07700 900999", now=now
        )
        person = tenants.get_or_raise(session=session, tenant_id=request.tenant_id)
        assert (request.new_value, request.status, person.phone) == (
            "+447700900999",
            RequestStatus.PENDING,
            "+447700900001",
        )
        contact_changes.update(
            session=session, reference=request.reference, status="applied", actor="staff:amira", now=now
        )
    with session_scope(session_factory) as session:
        assert tenants.get_or_raise(session=session, tenant_id=request.tenant_id).phone == "+447700900999"
        assert contact_changes.list(session=session, status="pending") == []


def test_name_change_updates_first_and_last_name(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        request = contact_changes.create(
            session=session, tenancy_reference=tenancy, field="name", new_value=" Sarah  Jane Khan ", now=now
        )
        contact_changes.update(session=session, reference=request.reference, status="applied", now=now)
        person = tenants.get_or_raise(session=session, tenant_id=request.tenant_id)
    assert (person.first_name, person.last_name) == ("Sarah", "Jane Khan")


def test_a_resolved_request_cannot_be_resolved_again(session_factory, assert_refused, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        request = contact_changes.create(
            session=session, tenancy_reference=tenancy, field="email", new_value="s@example.org", now=now
        )
        contact_changes.update(session=session, reference=request.reference, status="rejected", now=now)
    assert_refused(
        InvalidStatusTransition,
        lambda session: contact_changes.update(session=session, reference=request.reference, status="applied"),
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"field": "phone", "new_value": "12"}, InvalidPhoneNumber),
        ({"field": "email", "new_value": "nope"}, InvalidEmail),
        ({"field": "name", "new_value": "Cher"}, InvalidName),
        ({"field": "address", "new_value": "x"}, InvalidChoice),
        ({"tenant_id": 999}, TenantNotFound),
    ],
)
def test_create_contact_change_refuses_invalid_input_and_writes_nothing(
    assert_refused, tenancy, now, overrides, error
) -> None:
    values = {"tenancy_reference": tenancy, "field": "phone", "new_value": "07700900999", "now": now} | overrides
    assert_refused(error, lambda session: contact_changes.create(session=session, **values))
