"""Income-team tasks: payment plan requests and money-advice callbacks for tenants struggling with rent.

Due dates are the project's defaults (the DOMAIN.md rules do not set them): a callback within 2 working days,
a payment plan proposal looked at within 5.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clocks.calendar import default_calendar
from bot.housing import audit, references
from bot.housing._common import (
    SYSTEM_ACTOR,
    change_case_status,
    choice,
    find_by_reference,
    find_current_tenancy,
    find_tenancy,
    resolve_now,
    today_in_england,
)
from bot.housing.enums import CaseStatus, IncomeTaskKind
from bot.housing.errors import IncomeTaskNotFound
from bot.housing.models import IncomeTask
from bot.housing.validation import clean_text, parse_amount

DUE_WORKING_DAYS = {IncomeTaskKind.MONEY_ADVICE_CALLBACK: 2, IncomeTaskKind.PAYMENT_PLAN: 5}


def get(*, session: Session, reference: str) -> IncomeTask | None:
    """Return the task with INC reference `reference`, or None.

    Raises:
        InvalidReference: If the reference is malformed.

    """
    found: IncomeTask | None = find_by_reference(session, IncomeTask, references.INCOME_TASK, reference)
    return found


def get_or_raise(*, session: Session, reference: str) -> IncomeTask:
    """Return the task with INC reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        IncomeTaskNotFound: If there is none.

    """
    found = get(session=session, reference=reference)
    if found is None:
        raise IncomeTaskNotFound(f"no income task {reference}")
    return found


def list(
    *,
    session: Session,
    tenancy_reference: str | None = None,
    open_only: bool = True,
    kind: IncomeTaskKind | str | None = None,
    limit: int = 50,
) -> builtins.list[IncomeTask]:
    """Return tasks, soonest due first.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy; InvalidChoice for an unknown kind.

    """
    statement = select(IncomeTask).order_by(IncomeTask.due_by, IncomeTask.id).limit(limit)
    if tenancy_reference is not None:
        statement = statement.where(IncomeTask.tenancy_id == find_tenancy(session, tenancy_reference).id)
    if open_only:
        statement = statement.where(IncomeTask.status != CaseStatus.CLOSED)
    if kind is not None:
        statement = statement.where(IncomeTask.kind == choice(IncomeTaskKind, kind, "kind"))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    tenancy_reference: str,
    kind: IncomeTaskKind | str,
    details: str | None = None,
    offered_weekly_amount: Decimal | int | str | None = None,
    callback_preference: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> IncomeTask:
    """Create a task for the income team, due a fixed number of working days from today.

    Args:
        session: The open session.
        tenancy_reference: The tenancy concerned.
        kind: A payment plan request or a money-advice callback.
        details: What the tenant said about their situation (card numbers masked).
        offered_weekly_amount: For a payment plan, what the tenant can pay towards arrears each week.
        callback_preference: When or how to call back ("weekday mornings").
        actor: Who asked, for the audit log.
        now: The current time; the real clock when None.

    Raises:
        InvalidTenancyReference, TenancyNotFound, TenancyEnded: For a bad tenancy.
        InvalidChoice: For an unknown kind.
        InvalidAmount: If the offered amount is not a positive sum in pence.
        TextTooLong: For over-long text.

    """
    at = resolve_now(now)
    what = choice(IncomeTaskKind, kind, "kind")
    notes = clean_text(details, field="details", required=False)
    offer = parse_amount(offered_weekly_amount, field="offered_weekly_amount") if offered_weekly_amount else None
    when = clean_text(callback_preference, field="callback_preference", max_length=120, required=False)
    tenancy = find_current_tenancy(session, tenancy_reference, at)
    task = IncomeTask(
        reference=references.next_reference(session, references.INCOME_TASK),
        tenancy_id=tenancy.id,
        kind=what,
        details=notes,
        offered_weekly_amount=offer,
        callback_preference=when,
        status=CaseStatus.OPEN,
        due_by=default_calendar().add_working_days(today_in_england(at), DUE_WORKING_DAYS[what]),
        created_at=at,
        updated_at=at,
    )
    session.add(task)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="income_task.created",
        subject=task.reference,
        details={"tenancy": tenancy.reference, "kind": what.value},
        now=at,
    )
    return task


def update(
    *,
    session: Session,
    reference: str,
    status: CaseStatus | str,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> IncomeTask:
    """Change a task's status (open, in progress, closed).

    Raises:
        InvalidReference, IncomeTaskNotFound: For a bad reference.
        InvalidChoice: For an unknown status.
        InvalidStatusTransition: If the task already has that status.

    """
    task = get_or_raise(session=session, reference=reference)
    return change_case_status(
        session, task, status, noun="task", audit_action="income_task", actor=actor, now=resolve_now(now)
    )
