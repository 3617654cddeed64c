from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from bot.housing import appointments, rent, repairs, staff, verification
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.migrate import upgrade
from bot.housing.models import StaffUser, metadata
from bot.housing.seed import DEMO_LOGINS, DEMO_TENANT, seed_demo
from bot.housing.validation import normalise_phone, normalise_postcode, normalise_tenancy_reference

ANCHOR = date(2025, 11, 21)


@pytest.fixture
def seeded_factory(migrated_database_url):
    """Return a session factory on this module's database holding the demo data.

    Seeding is idempotent, so the tests that only read the demo data share one seeded database instead of
    seeding a fresh one each (the slowest step of this module).
    """
    engine = create_engine_for(migrated_database_url)
    factory = make_session_factory(engine)
    seed_demo(factory, today=ANCHOR)
    yield factory
    engine.dispose()


def _contents(factory, *, skip: frozenset[tuple[str, str]] = frozenset()) -> dict[str, list[tuple]]:
    with session_scope(factory) as session:
        dump = {}
        for table in metadata.sorted_tables:
            columns = [column for column in table.columns if (table.name, column.name) not in skip]
            order = list(table.primary_key.columns)
            dump[table.name] = [tuple(row) for row in session.execute(sa.select(*columns).order_by(*order))]
        return dump


def test_seeding_twice_leaves_exactly_the_data_of_one_run(session_factory) -> None:
    first = seed_demo(session_factory, today=ANCHOR)
    once = _contents(session_factory)
    second = seed_demo(session_factory, today=date(2026, 3, 2))
    assert _contents(session_factory) == once
    assert first.created and not second.created
    assert (second.anchor, second.tenants, second.rent_transactions) == (ANCHOR, first.tenants, first.rent_transactions)


def test_seed_is_the_same_on_any_database_for_the_same_day(tmp_path) -> None:
    """The seed is deterministic: a fixed random seed and dates relative to the anchor day (SQLite suffices)."""
    dumps = []
    salted = frozenset({("staff_users", "password_hash")})  # argon2 salts differ by design
    for name in ("one.db", "two.db"):
        url = f"sqlite:///{tmp_path / name}"
        upgrade(url)
        engine = create_engine_for(url)
        try:
            factory = make_session_factory(engine)
            seed_demo(factory, today=ANCHOR)
            dumps.append(_contents(factory, skip=salted))
        finally:
            engine.dispose()
    assert dumps[0] == dumps[1]


def test_seed_builds_a_believable_landlord(seeded_factory) -> None:
    summary = seed_demo(seeded_factory, today=ANCHOR)
    assert (summary.properties, summary.tenants, summary.tenancies) == (50, 60, 45)
    assert summary.available_homes == 5 and summary.open_repairs >= 10 and summary.closed_repairs >= 10
    assert summary.rent_transactions > 45 * 52
    with session_scope(seeded_factory) as session:
        phones = session.execute(sa.text("SELECT phone FROM tenants")).scalars().all()
        postcodes = session.execute(sa.text("SELECT postcode FROM properties")).scalars().all()
        references = session.execute(sa.text("SELECT reference FROM tenancies")).scalars().all()
        balances = [row.balance for row in session.execute(sa.text("SELECT balance FROM rent_accounts"))]
    # Ofcom's drama range only, so no real person is ever texted.
    assert all(900000 <= int(phone[-6:]) <= 900999 and phone.startswith("+447700") for phone in phones)
    assert all(normalise_phone(phone) == phone for phone in phones)
    assert all(normalise_postcode(postcode) == postcode for postcode in postcodes)
    assert all(normalise_tenancy_reference(reference) == reference for reference in references)
    assert any(balance > 0 for balance in balances) and any(balance < 0 for balance in balances)


def test_demo_tenant_can_verify_and_has_a_booked_repair_and_arrears(seeded_factory) -> None:
    at = datetime(2025, 11, 21, 12, 0, tzinfo=timezone.utc)
    with session_scope(seeded_factory) as session:
        outcome = verification.verify(
            session=session,
            channel="sms",
            address=DEMO_TENANT.phone,
            tenancy_reference=DEMO_TENANT.tenancy_reference.lower(),
            postcode=DEMO_TENANT.postcode,
            date_of_birth=DEMO_TENANT.date_of_birth,
            now=at,
        )
        assert outcome.verified and outcome.first_name == DEMO_TENANT.first_name
        summary = rent.summary(session=session, tenancy_reference=DEMO_TENANT.tenancy_reference, now=at)
        assert summary.arrears == summary.weekly_rent * 2
        open_jobs = repairs.list(session=session, tenancy_reference=DEMO_TENANT.tenancy_reference, open_only=True)
        assert [job.status.value for job in open_jobs] == ["booked"]
        assert appointments.window(open_jobs[0].slot)[0].date() > ANCHOR
    assert isinstance(summary.balance, Decimal)


def test_demo_staff_can_sign_in_with_the_printed_passwords(seeded_factory) -> None:
    summary = seed_demo(seeded_factory, today=ANCHOR)
    assert {login.role.value for login in summary.logins} >= {"agent", "supervisor"}
    with session_scope(seeded_factory) as session:
        for login in DEMO_LOGINS:
            assert (
                staff.authenticate(session=session, username=login.username, password=login.password).role is login.role
            )
        assert session.execute(sa.select(sa.func.count()).select_from(StaffUser)).scalar_one() == len(DEMO_LOGINS)
    assert any(DEMO_TENANT.phone in line for line in summary.lines())
