import threading
from datetime import date, timedelta
from decimal import Decimal

from bot.housing import rent
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import PaymentMethod, TransactionKind
from bot.housing.errors import (
    DuplicateRecord,
    EmptyDescription,
    InvalidAmount,
    InvalidChoice,
    InvalidDate,
    TenancyNotFound,
)


def test_charges_raise_and_payments_lower_the_balance_positive_means_arrears(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        rent.post_charge(
            session=session, tenancy_reference=tenancy, amount="98.50", effective_on=date(2025, 11, 17), now=now
        )
        payment = rent.post_payment(
            session=session, tenancy_reference=tenancy, amount=Decimal("60"), method="card", now=now
        )
    assert payment.kind is TransactionKind.PAYMENT
    assert payment.amount == Decimal("-60.00")
    assert payment.balance_after == Decimal("38.50")
    with session_scope(session_factory) as session:
        summary = rent.summary(session=session, tenancy_reference=tenancy, now=now)
    assert (summary.balance, summary.arrears, summary.credit) == (Decimal("38.50"), Decimal("38.50"), Decimal("0.00"))
    assert summary.last_payment_amount == Decimal("60.00")
    assert summary.last_payment_on == now.date()
    assert summary.next_due_date == date(2025, 11, 24)  # the Monday after Wednesday 19 November


def test_overpayment_leaves_the_account_in_credit(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        rent.post_payment(
            session=session, tenancy_reference=tenancy, amount="20.00", method="universal_credit", now=now
        )
        summary = rent.summary(session=session, tenancy_reference=tenancy, now=now)
    assert (summary.balance, summary.arrears, summary.credit) == (Decimal("-20.00"), Decimal("0.00"), Decimal("20.00"))


def test_statement_lists_newest_transactions_first_with_running_balances(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        for weeks_ago in (2, 1, 0):
            monday = date(2025, 11, 17) - timedelta(weeks=weeks_ago)
            rent.post_charge(session=session, tenancy_reference=tenancy, amount="98.50", effective_on=monday, now=now)
        statement = rent.list(session=session, tenancy_reference=tenancy, limit=2)
    assert [row.balance_after for row in statement] == [Decimal("295.50"), Decimal("197.00")]


def test_the_same_payment_notified_twice_is_posted_once(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        first = rent.post_payment(
            session=session, tenancy_reference=tenancy, amount="50", method="card", external_id="pi_123", now=now
        )
    with session_scope(session_factory) as session:
        again = rent.post_payment(
            session=session, tenancy_reference=tenancy, amount="50", method="card", external_id="pi_123", now=now
        )
        assert again.id == first.id
        assert rent.get_or_raise(session=session, tenancy_reference=tenancy).balance == Decimal("-50.00")


def test_rent_refuses_invalid_input_and_writes_nothing(assert_refused, tenancy, now) -> None:
    def pay(**overrides):
        values = {"tenancy_reference": tenancy, "amount": "10.00", "method": PaymentMethod.CARD, "now": now}
        values.update(overrides)
        return lambda session: rent.post_payment(session=session, **values)

    assert_refused(InvalidAmount, pay(amount="-10"))
    assert_refused(InvalidAmount, pay(amount=0))
    assert_refused(InvalidAmount, pay(amount=10.5))
    assert_refused(InvalidAmount, pay(amount="10.001"))
    assert_refused(InvalidChoice, pay(method="bitcoin"))
    assert_refused(InvalidDate, pay(paid_on=now.date() + timedelta(days=1)))
    assert_refused(TenancyNotFound, pay(tenancy_reference="TN999999"))
    assert_refused(
        EmptyDescription,
        lambda session: rent.post_charge(
            session=session, tenancy_reference=tenancy, amount="5", effective_on=now.date(), description=" ", now=now
        ),
    )
    assert_refused(DuplicateRecord, lambda session: rent.create(session=session, tenancy_reference=tenancy, now=now))


def test_concurrent_payments_are_all_counted_in_the_balance(database_url, tenancy, now) -> None:
    payers, each = 8, 5
    options = {"pool_size": payers, "max_overflow": 2} if database_url.startswith("postgresql") else {}
    engine = create_engine_for(database_url, **options)
    factory = make_session_factory(engine)
    start = threading.Barrier(payers)
    failures: list[BaseException] = []

    def pay() -> None:
        try:
            start.wait()
            for _ in range(each):
                with session_scope(factory) as session:
                    rent.post_payment(session=session, tenancy_reference=tenancy, amount="1.25", method="card", now=now)
        except BaseException as error:  # surface thread failures in the test
            failures.append(error)

    workers = [threading.Thread(target=pay) for _ in range(payers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    try:
        assert failures == []
        with session_scope(factory) as session:
            assert rent.get_or_raise(session=session, tenancy_reference=tenancy).balance == Decimal("-50.00")
            balances = sorted(
                row.balance_after for row in rent.list(session=session, tenancy_reference=tenancy, limit=100)
            )
        assert balances == [Decimal("-1.25") * n for n in range(payers * each, 0, -1)]
    finally:
        engine.dispose()


def test_changing_the_rent_day_moves_the_next_due_date(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        rent.update(session=session, tenancy_reference=tenancy, rent_day=4, now=now)
        summary = rent.summary(session=session, tenancy_reference=tenancy, now=now)
    assert summary.next_due_date == date(2025, 11, 21)  # the Friday of the same week
