"""Fixtures for the housing service tests: a fixed clock, households to work with, and a no-write check."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from bot.housing import properties, staff, tenancies, tenants
from bot.housing.db import session_scope
from bot.housing.models import metadata

# Wednesday 19 November 2025, 10:00 UTC (10:00 in London): a working day, with no bank holiday for weeks.
NOW = datetime(2025, 11, 19, 10, 0, tzinfo=timezone.utc)


_CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash staff passwords with tiny argon2 parameters: still argon2id, a hundred times faster."""
    monkeypatch.setattr(staff, "_hasher", lambda: _CHEAP_HASHER)


@pytest.fixture
def now() -> datetime:
    """Return the fixed 'current time' the tests pass to services."""
    return NOW


@pytest.fixture
def make_tenancy(session_factory: Callable[[], Session]) -> Callable[..., str]:
    """Return a function creating a household (property, tenant, tenancy) and returning its TN reference."""
    counter = iter(range(1, 1000))

    def make(
        *,
        reference: str | None = None,
        area: str = "Harehills",
        postcode: str = "LS9 7QT",
        vulnerable: bool = False,
        date_of_birth: date = date(1986, 3, 14),
        end_date: date | None = None,
    ) -> str:
        number = next(counter)
        with session_scope(session_factory) as session:
            home = properties.create(
                session=session,
                address_line1=f"{number} Millbrook Close",
                town="Leeds",
                postcode=postcode,
                area=area,
                bedrooms=2,
                property_type="house",
                now=NOW,
            )
            person = tenants.create(
                session=session,
                first_name="Sarah",
                last_name=f"Ahmed{number}" if number > 1 else "Ahmed",
                date_of_birth=date_of_birth,
                phone=f"+447700900{number:03d}",
                has_medical_need=vulnerable,
                now=NOW,
            )
            tenancy = tenancies.create(
                session=session,
                reference=reference or f"TN{100000 + number}",
                property_id=home.id,
                tenant_ids=[person.id],
                start_date=date(2019, 4, 1),
                weekly_rent=Decimal("98.50"),
                now=NOW,
            )
            if end_date is not None:
                tenancies.update(session=session, reference=tenancy.reference, end_date=end_date, now=NOW)
            return str(tenancy.reference)

    return make


@pytest.fixture
def tenancy(make_tenancy: Callable[..., str]) -> str:
    """Return the TN reference of an ordinary (not vulnerable) household in Harehills."""
    return make_tenancy()


@pytest.fixture
def count_rows(session_factory: Callable[[], Session]) -> Callable[[], dict[str, int]]:
    """Return a function counting the rows of every table."""

    def count() -> dict[str, int]:
        # One query for all tables, so the check stays cheap on a remote database.
        statement = sa.union_all(
            *(
                sa.select(sa.literal(table.name).label("name"), sa.func.count().label("rows")).select_from(table)
                for table in metadata.sorted_tables
            )
        )
        with session_scope(session_factory) as session:
            return {name: int(rows) for name, rows in session.execute(statement)}

    return count


@pytest.fixture
def assert_refused(
    session_factory: Callable[[], Session], count_rows: Callable[[], dict[str, int]]
) -> Callable[..., None]:
    """Return a check that a service call raises `error` and writes nothing.

    The session is committed after the error, as a careless caller might, so a service that wrote before
    raising would be caught.
    """

    def check(error: type[Exception], call: Callable[[Session], Any]) -> None:
        before = count_rows()
        session = session_factory()
        try:
            with pytest.raises(error):
                call(session)
            session.commit()
        finally:
            session.close()
        assert count_rows() == before

    return check
