from datetime import date
from decimal import Decimal

import pytest

from bot.housing import income
from bot.housing.db import session_scope
from bot.housing.enums import CaseStatus, IncomeTaskKind
from bot.housing.errors import InvalidAmount, InvalidChoice, InvalidStatusTransition, TenancyEnded, TenancyNotFound


def test_payment_plan_and_callback_requests_become_income_team_tasks(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        plan = income.create(
            session=session,
            tenancy_reference=tenancy,
            kind="payment_plan",
            details="Lost my job, UC starts next month",
            offered_weekly_amount="10.00",
            now=now,
        )
        callback = income.create(
            session=session,
            tenancy_reference=tenancy,
            kind="money_advice_callback",
            callback_preference="mornings",
            now=now,
        )
    assert plan.reference.startswith("INC-") and plan.offered_weekly_amount == Decimal("10.00")
    assert (plan.due_by, callback.due_by) == (date(2025, 11, 26), date(2025, 11, 21))
    with session_scope(session_factory) as session:
        queue = income.list(session=session)
        assert [task.kind for task in queue] == [IncomeTaskKind.MONEY_ADVICE_CALLBACK, IncomeTaskKind.PAYMENT_PLAN]
        income.update(session=session, reference=callback.reference, status=CaseStatus.CLOSED, now=now)
        assert [task.id for task in income.list(session=session)] == [plan.id]


def test_income_task_refuses_a_status_it_already_has(session_factory, assert_refused, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        task = income.create(session=session, tenancy_reference=tenancy, kind="payment_plan", now=now)
    assert_refused(
        InvalidStatusTransition, lambda session: income.update(session=session, reference=task.reference, status="open")
    )


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"kind": "loan"}, InvalidChoice),
        ({"offered_weekly_amount": "-5"}, InvalidAmount),
        ({"tenancy_reference": "TN999999"}, TenancyNotFound),
    ],
)
def test_create_income_task_refuses_invalid_input_and_writes_nothing(
    assert_refused, tenancy, now, overrides, error
) -> None:
    values = {"tenancy_reference": tenancy, "kind": "payment_plan", "now": now} | overrides
    assert_refused(error, lambda session: income.create(session=session, **values))


def test_create_income_task_refuses_an_ended_tenancy(assert_refused, make_tenancy, now) -> None:
    ended = make_tenancy(end_date=date(2025, 1, 31))
    assert_refused(
        TenancyEnded,
        lambda session: income.create(session=session, tenancy_reference=ended, kind="payment_plan", now=now),
    )
