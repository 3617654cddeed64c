from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.housing import properties, rent, tenancies, tenants
from bot.housing.db import session_scope
from bot.housing.errors import (
    DuplicateRecord,
    InvalidAmount,
    InvalidDate,
    InvalidInput,
    InvalidPostcode,
    InvalidTenancyReference,
    PropertyNotFound,
    TenancyNotFound,
    TenantNotFound,
)


def test_create_tenancy_opens_a_rent_account_and_payment_reference(session_factory, tenancy) -> None:
    with session_scope(session_factory) as session:
        found = tenancies.get_or_raise(session=session, reference=tenancy.lower())
        account = rent.get_or_raise(session=session, tenancy_reference=tenancy)
        assert found.property.postcode == "LS9 7QT"
        assert found.payment_reference == "TL" + tenancy[2:]
        assert account.balance == Decimal("0.00")


def test_joint_tenancy_lists_the_lead_tenant_first_and_is_vulnerable_if_anyone_is(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        home = properties.create(
            session=session,
            address_line1="2 Kestrel Court",
            town="Leeds",
            postcode="LS8 3RW",
            area="Harehills",
            bedrooms=3,
            property_type="house",
            now=now,
        )
        lead = tenants.create(
            session=session, first_name="Ann", last_name="Lee", date_of_birth=date(1990, 1, 2), now=now
        )
        partner = tenants.create(
            session=session, first_name="Bo", last_name="Lee", date_of_birth=date(1950, 1, 2), is_elderly=True, now=now
        )
        tenancies.create(
            session=session,
            reference="TN200001",
            property_id=home.id,
            tenant_ids=[lead.id, partner.id],
            start_date=date(2020, 1, 6),
            weekly_rent="110.25",
            now=now,
        )
    with session_scope(session_factory) as session:
        assert [p.first_name for p in tenancies.household(session=session, reference="TN200001")] == ["Ann", "Bo"]
        assert tenancies.is_vulnerable(session=session, reference="TN200001")
        assert [t.reference for t in tenancies.list(session=session, tenant_id=partner.id)] == ["TN200001"]


def test_create_tenancy_refuses_invalid_input_and_writes_nothing(session_factory, assert_refused, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        existing = tenancies.get_or_raise(session=session, reference=tenancy)
        tenant_id = tenancies.household(session=session, reference=tenancy)[0].id

    def create(**overrides):
        values = {
            "reference": "TN300001",
            "property_id": existing.property_id,
            "tenant_ids": [tenant_id],
            "start_date": date(2024, 1, 1),
            "weekly_rent": "90.00",
            "now": now,
        }
        values.update(overrides)
        return lambda session: tenancies.create(session=session, **values)

    assert_refused(InvalidTenancyReference, create(reference="300001"))
    assert_refused(DuplicateRecord, create(reference=tenancy))
    assert_refused(PropertyNotFound, create(property_id=999))
    assert_refused(TenantNotFound, create(tenant_ids=[999]))
    assert_refused(InvalidInput, create(tenant_ids=[]))
    assert_refused(InvalidAmount, create(weekly_rent="-90"))
    assert_refused(InvalidInput, create(rent_day=7))


def test_update_tenancy_sets_an_end_date_but_not_before_the_start(
    session_factory, assert_refused, tenancy, now
) -> None:
    assert_refused(
        InvalidDate,
        lambda session: tenancies.update(session=session, reference=tenancy, end_date=date(2000, 1, 1), now=now),
    )
    end = now.date() + timedelta(days=28)
    with session_scope(session_factory) as session:
        tenancies.update(session=session, reference=tenancy, end_date=end, weekly_rent="101.00", now=now)
    with session_scope(session_factory) as session:
        updated = tenancies.get_or_raise(session=session, reference=tenancy)
        assert (updated.end_date, updated.weekly_rent) == (end, Decimal("101.00"))
        assert tenancies.list(session=session, current_only=True, now=now + timedelta(days=60)) == []


def test_get_tenancy_distinguishes_malformed_and_unknown_references(session_factory) -> None:
    with session_scope(session_factory) as session:
        assert tenancies.get(session=session, reference="TN999999") is None
        with pytest.raises(TenancyNotFound):
            tenancies.get_or_raise(session=session, reference="TN999999")
        with pytest.raises(InvalidTenancyReference):
            tenancies.get(session=session, reference="TN99")


def test_properties_can_be_listed_by_area_and_postcode(session_factory, make_tenancy, assert_refused, now) -> None:
    make_tenancy(area="Harehills")
    make_tenancy(area="Armley", postcode="LS12 2DJ")
    with session_scope(session_factory) as session:
        assert properties.list_areas(session=session) == ["Armley", "Harehills"]
        assert [p.area for p in properties.list(session=session, area="armley")] == ["Armley"]
        assert [p.area for p in properties.list(session=session, postcode="ls122dj")] == ["Armley"]
        home = properties.list(session=session, area="Armley")[0]
        properties.update(session=session, property_id=home.id, bedrooms=3)
        assert home.one_line_address.endswith("Leeds, LS12 2DJ")
    assert_refused(
        InvalidPostcode,
        lambda session: properties.create(
            session=session,
            address_line1="1 High St",
            town="Leeds",
            postcode="LS12",
            area="Armley",
            bedrooms=2,
            property_type="flat",
            now=now,
        ),
    )
    assert_refused(InvalidInput, lambda session: properties.update(session=session, property_id=home.id, bedrooms=11))
