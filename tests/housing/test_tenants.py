from datetime import date

import pytest

from bot.housing import tenants
from bot.housing.db import session_scope
from bot.housing.errors import InvalidDate, InvalidEmail, InvalidName, InvalidPhoneNumber, TenantNotFound


def _create(session, now, **overrides):
    values = {"first_name": " Sarah ", "last_name": "Ahmed", "date_of_birth": date(1986, 3, 14), "now": now}
    values.update(overrides)
    return tenants.create(session=session, **values)


def test_create_tenant_normalises_contact_details(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        person = _create(session, now, phone="07700 900001", email="Sarah@Example.ORG")
    assert person.full_name == "Sarah Ahmed"
    assert person.phone == "+447700900001"
    assert person.email == "Sarah@example.org"
    assert not person.is_vulnerable


@pytest.mark.parametrize("flag", ["is_elderly", "has_disability", "has_young_children", "has_medical_need"])
def test_any_one_vulnerability_flag_makes_the_tenant_vulnerable(session_factory, now, flag) -> None:
    """DOMAIN.md repair priorities: elderly, disabled, young children or a medical need make a household vulnerable."""
    with session_scope(session_factory) as session:
        person = _create(session, now, **{flag: True})
    assert person.is_vulnerable


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"first_name": "  "}, InvalidName),
        ({"date_of_birth": date(2030, 1, 1)}, InvalidDate),
        ({"date_of_birth": date(1850, 1, 1)}, InvalidDate),
        ({"phone": "12345"}, InvalidPhoneNumber),
        ({"email": "not-an-email"}, InvalidEmail),
    ],
)
def test_create_tenant_refuses_invalid_input_and_writes_nothing(assert_refused, now, overrides, error) -> None:
    assert_refused(error, lambda session: _create(session, now, **overrides))


def test_update_tenant_changes_only_what_is_given(session_factory, assert_refused, now) -> None:
    with session_scope(session_factory) as session:
        person = _create(session, now, phone="07700900001", email="sarah@example.org")
        tenants.update(session=session, tenant_id=person.id, phone="07700 900002", has_medical_need=True, now=now)
    with session_scope(session_factory) as session:
        updated = tenants.get_or_raise(session=session, tenant_id=person.id)
        assert (updated.phone, updated.email, updated.is_vulnerable) == ("+447700900002", "sarah@example.org", True)
    assert_refused(InvalidPhoneNumber, lambda session: tenants.update(session=session, tenant_id=person.id, phone="x"))
    assert_refused(TenantNotFound, lambda session: tenants.update(session=session, tenant_id=999, first_name="Al"))


def test_list_tenants_finds_a_household_and_a_phone_number(session_factory, tenancy) -> None:
    with session_scope(session_factory) as session:
        household = tenants.list(session=session, tenancy_reference=tenancy.lower())
        by_phone = tenants.list(session=session, phone="07700 900001")
        assert tenants.get(session=session, tenant_id=12345) is None
    assert [person.last_name for person in household] == ["Ahmed"]
    assert [person.id for person in by_phone] == [household[0].id]
