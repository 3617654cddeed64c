from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.models import AuditEntry, Tenancy


def test_sqlite_engine_enforces_foreign_keys_and_uses_wal(tmp_path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar_one() >= 1000
    finally:
        engine.dispose()


def test_sqlite_file_connections_are_reused_across_sessions_and_threads(tmp_path) -> None:
    """Opening and configuring a connection per session cost more CPU than a turn's queries (docs/bench.md)."""
    from concurrent.futures import ThreadPoolExecutor

    engine = create_engine_for(f"sqlite:///{tmp_path / 'pool.db'}")
    opened: list[object] = []
    sa.event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    factory = make_session_factory(engine)

    def foreign_keys(_: int) -> int:
        with session_scope(factory) as session:
            return int(session.execute(sa.text("PRAGMA foreign_keys")).scalar_one())

    try:
        assert [foreign_keys(i) for i in range(20)] == [1] * 20
        assert len(opened) == 1
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(foreign_keys, range(40))) == [1] * 40  # every pooled connection is configured
        assert 1 <= len(opened) <= 4
    finally:
        engine.dispose()


def test_create_engine_for_makes_no_connection_until_used(tmp_path) -> None:
    path = tmp_path / "lazy.db"
    engine = create_engine_for(f"sqlite:///{path}")
    assert not path.exists()
    engine.dispose()


def test_foreign_keys_are_enforced_on_every_backend(session_factory, now) -> None:
    with pytest.raises(IntegrityError), session_scope(session_factory) as session:
        session.add(
            Tenancy(
                reference="TN999999",
                property_id=12345,
                start_date=now.date(),
                weekly_rent=Decimal("90.00"),
                payment_reference="TL999999",
                created_at=now,
                updated_at=now,
            )
        )


def test_session_scope_commits_on_success_and_rolls_back_on_error(session_factory, now) -> None:
    with session_scope(session_factory) as session:
        session.add(AuditEntry(at=now, actor="test", action="kept", subject="x", details={}))
    with pytest.raises(ValueError), session_scope(session_factory) as session:
        session.add(AuditEntry(at=now, actor="test", action="dropped", subject="x", details={}))
        session.flush()
        raise ValueError("boom")
    with session_scope(session_factory) as session:
        actions = session.execute(sa.select(AuditEntry.action)).scalars().all()
    assert actions == ["kept"]


def test_times_read_back_timezone_aware_in_utc(session_factory) -> None:
    in_london_summer = datetime(2025, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    with session_scope(session_factory) as session:
        session.add(AuditEntry(at=in_london_summer, actor="t", action="a", subject="s", details={"k": [1, "two"]}))
    with session_scope(session_factory) as session:
        entry = session.execute(sa.select(AuditEntry)).scalar_one()
    assert entry.at == in_london_summer
    assert entry.at.tzinfo == timezone.utc
    assert entry.at.hour == 8
    assert entry.details == {"k": [1, "two"]}


def test_naive_datetimes_are_refused(session_factory) -> None:
    with pytest.raises(StatementError), session_scope(session_factory) as session:
        session.add(AuditEntry(at=datetime(2025, 1, 1, 12, 0), actor="t", action="a", subject="s", details={}))
        session.flush()


def test_money_round_trips_exactly_and_refuses_floats(session_factory, make_tenancy) -> None:
    reference = make_tenancy()
    with session_scope(session_factory) as session:
        tenancy = session.execute(sa.select(Tenancy).where(Tenancy.reference == reference)).scalar_one()
        tenancy.weekly_rent = Decimal("0.10") + Decimal("0.20")
    factory = make_session_factory(session_factory.kw["bind"])
    with session_scope(factory) as session:
        rent = session.execute(sa.select(Tenancy.weekly_rent)).scalar_one()
    assert rent == Decimal("0.30") and isinstance(rent, Decimal)
    with pytest.raises(StatementError), session_scope(session_factory) as session:
        tenancy = session.execute(sa.select(Tenancy)).scalar_one()
        tenancy.weekly_rent = 0.3
        session.flush()
