import asyncio
from datetime import date

import pytest
from sqlalchemy import func, select

from bench.load import tenantline_phase
from bench.tenants import BENCH_TENANTS, TenantPool, add_tenants, bench_phone
from bot.housing import rent, tenancies, tenants
from bot.housing.db import create_engine_for, make_session_factory
from bot.housing.models import Tenant
from tests.support.housing import seeded_database


@pytest.fixture(scope="module")
def bench_database(tmp_path_factory):
    database = seeded_database(tmp_path_factory.mktemp("bench") / "housing.db")
    add_tenants(database)
    engine = create_engine_for(f"sqlite:///{database}")
    yield make_session_factory(engine)
    engine.dispose()


def test_bench_numbers_stay_in_the_range_kept_for_fiction_and_clear_of_the_demo_tenants():
    assert bench_phone(0) == "+447700900100"
    assert bench_phone(899) == "+447700900999"
    for index in (-1, 900):
        with pytest.raises(ValueError, match="no number"):
            bench_phone(index)


def test_every_bench_tenant_can_hold_the_bench_conversation(bench_database):
    with bench_database() as session:
        people = tenants.list(session=session, limit=1000)
        assert len(people) == 60 + BENCH_TENANTS
        assert session.execute(select(func.count(func.distinct(Tenant.phone)))).scalar_one() == len(people)
        last = tenants.list(session=session, phone=bench_phone(BENCH_TENANTS - 1))
        assert len(last) == 1 and last[0].date_of_birth is not None
        # The balance step asks for the rent account of the tenant's tenancy.
        held = tenancies.list(session=session, tenant_id=last[0].id)
        assert len(held) == 1
        assert rent.get(session=session, tenancy_reference=held[0].reference) is not None


@pytest.mark.parametrize("count", [-1, 901])
def test_a_count_the_numbers_cannot_cover_is_refused_before_anything_is_written(tmp_path, count):
    database = seeded_database(tmp_path / "housing.db")
    with pytest.raises(ValueError):
        add_tenants(database, count)
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with make_session_factory(engine)() as session:
            assert len(tenants.list(session=session, limit=1000)) == 60
    finally:
        engine.dispose()


PEOPLE = [("+447700900100", date(1980, 1, 2)), ("+447700900101", date(1990, 3, 4)), ("+447700900102", date(1970, 5, 6))]


def test_the_pool_hands_every_tenant_one_conversation_before_any_gets_a_second():
    pool = TenantPool(PEOPLE)
    assert [pool.next() for _ in range(3)] == PEOPLE
    assert pool.reused == 0
    assert pool.next() == PEOPLE[0]
    assert pool.reused == 1 and pool.handed_out == 4


@pytest.mark.parametrize(
    "people, message",
    [([], "at least one"), ([PEOPLE[0], PEOPLE[0]], "a phone twice")],
)
def test_a_pool_that_cannot_give_each_conversation_its_own_tenant_is_refused(people, message):
    with pytest.raises(ValueError, match=message):
        TenantPool(people)


def test_more_conversations_at_once_than_tenants_is_refused_before_anything_is_sent():
    with pytest.raises(ValueError, match="need 4 tenants; the pool has 3"):
        asyncio.run(tenantline_phase(None, None, TenantPool(PEOPLE), 4, 1.0))  # type: ignore[arg-type]
