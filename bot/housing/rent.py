"""Rent accounts: weekly charges, payments and the running balance.

Sign convention (also in the models): charges are positive amounts and payments negative ones, so the balance
is what the tenant owes. A positive balance is arrears; a negative balance is credit. Every posting updates
the account's balance with one atomic UPDATE and stores the balance after it, so concurrent postings never
lose one.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from bot.housing import audit
from bot.housing._common import SYSTEM_ACTOR, choice, find_tenancy, resolve_now, today_in_england
from bot.housing._sql import insert_ignore
from bot.housing.enums import PaymentMethod, TransactionKind
from bot.housing.errors import DuplicateRecord, InvalidDate, InvalidInput, RentAccountNotFound
from bot.housing.models import RentAccount, RentTransaction, Tenancy
from bot.housing.validation import parse_amount, require_text

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class RentSummary:
    """What a tenant asking "how much do I owe?" needs to hear.

    Attributes:
        tenancy_reference: The TN reference.
        payment_reference: The reference to quote when paying.
        weekly_rent: Rent per week.
        balance: Signed balance: positive is arrears, negative is credit.
        arrears: What is owed, or zero.
        credit: What is in credit, or zero.
        next_due_date: The next day rent falls due (today if it is due today).
        last_payment_amount: The most recent payment, as a positive amount, or None.
        last_payment_on: When it was made, or None.

    """

    tenancy_reference: str
    payment_reference: str
    weekly_rent: Decimal
    balance: Decimal
    arrears: Decimal
    credit: Decimal
    next_due_date: date
    last_payment_amount: Decimal | None
    last_payment_on: date | None


def next_due_date(rent_day: int, today: date) -> date:
    """Return the next date on or after `today` that falls on weekday `rent_day` (Monday = 0)."""
    return today + timedelta(days=(rent_day - today.weekday()) % 7)


def _account_for(session: Session, tenancy: Tenancy) -> RentAccount:
    account = session.execute(select(RentAccount).where(RentAccount.tenancy_id == tenancy.id)).scalar_one_or_none()
    if account is None:
        raise RentAccountNotFound(f"tenancy {tenancy.reference} has no rent account")
    return account


def get(*, session: Session, tenancy_reference: str) -> RentAccount | None:
    """Return the rent account of a tenancy, or None if it has none.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad reference.

    """
    tenancy = find_tenancy(session, tenancy_reference)
    return session.execute(select(RentAccount).where(RentAccount.tenancy_id == tenancy.id)).scalar_one_or_none()


def get_or_raise(*, session: Session, tenancy_reference: str) -> RentAccount:
    """Return the rent account of a tenancy.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad reference.
        RentAccountNotFound: If the tenancy has no account.

    """
    return _account_for(session, find_tenancy(session, tenancy_reference))


def list(*, session: Session, tenancy_reference: str, limit: int = 20) -> builtins.list[RentTransaction]:
    """Return a tenancy's transactions, newest first (a statement).

    Raises:
        InvalidTenancyReference, TenancyNotFound, RentAccountNotFound: For a bad tenancy.

    """
    account = get_or_raise(session=session, tenancy_reference=tenancy_reference)
    statement = (
        select(RentTransaction)
        .where(RentTransaction.account_id == account.id)
        .order_by(RentTransaction.effective_on.desc(), RentTransaction.id.desc())
        .limit(limit)
    )
    return builtins.list(session.execute(statement).scalars().all())


def create(*, session: Session, tenancy_reference: str, rent_day: int = 0, now: datetime | None = None) -> RentAccount:
    """Open a rent account for a tenancy that has none (tenancies.create opens one already).

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad reference.
        DuplicateRecord: If the tenancy already has an account.
        InvalidInput: If `rent_day` is not 0-6.

    """
    at = resolve_now(now)
    tenancy = find_tenancy(session, tenancy_reference)
    if isinstance(rent_day, bool) or not isinstance(rent_day, int) or not 0 <= rent_day <= 6:
        raise InvalidInput(f"rent_day must be 0 (Monday) to 6 (Sunday), got {rent_day!r}")
    if get(session=session, tenancy_reference=tenancy.reference) is not None:
        raise DuplicateRecord(f"tenancy {tenancy.reference} already has a rent account")
    account = RentAccount(tenancy_id=tenancy.id, balance=ZERO, rent_day=rent_day, created_at=at, updated_at=at)
    session.add(account)
    session.flush()
    return account


def update(*, session: Session, tenancy_reference: str, rent_day: int, now: datetime | None = None) -> RentAccount:
    """Change the weekday rent falls due on (the balance changes only by posting).

    Raises:
        InvalidTenancyReference, TenancyNotFound, RentAccountNotFound: For a bad tenancy.
        InvalidInput: If `rent_day` is not 0-6.

    """
    at = resolve_now(now)
    account = get_or_raise(session=session, tenancy_reference=tenancy_reference)
    if isinstance(rent_day, bool) or not isinstance(rent_day, int) or not 0 <= rent_day <= 6:
        raise InvalidInput(f"rent_day must be 0 (Monday) to 6 (Sunday), got {rent_day!r}")
    account.rent_day = rent_day
    account.updated_at = at
    session.flush()
    return account


def _post(
    session: Session,
    account: RentAccount,
    *,
    kind: TransactionKind,
    amount: Decimal,
    effective_on: date,
    description: str,
    method: str | None,
    external_id: str | None,
    at: datetime,
) -> RentTransaction | None:
    """Post a signed amount; return None if `external_id` was already posted to this account."""
    transactions = RentTransaction.__table__
    accounts = RentAccount.__table__
    # Insert first: a repeated external id then does nothing (and on PostgreSQL waits for a racing duplicate).
    transaction_id = insert_ignore(
        session,
        transactions,
        {
            "account_id": account.id,
            "kind": kind,
            "amount": amount,
            "balance_after": ZERO,
            "effective_on": effective_on,
            "description": description,
            "method": method,
            "external_id": external_id,
            "posted_at": at,
        },
        conflict_columns=["account_id", "external_id"],
    )
    if transaction_id is None:
        return None
    session.execute(
        sql_update(accounts)
        .where(accounts.c.id == account.id)
        .values(balance=accounts.c.balance + amount, updated_at=at)
    )
    balance = session.execute(select(accounts.c.balance).where(accounts.c.id == account.id)).scalar_one()
    session.execute(sql_update(transactions).where(transactions.c.id == transaction_id).values(balance_after=balance))
    session.expire(account)
    return session.get(RentTransaction, transaction_id)


def post_charge(
    *,
    session: Session,
    tenancy_reference: str,
    amount: Decimal | int | str,
    effective_on: date,
    description: str = "Rent",
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> RentTransaction:
    """Charge a tenancy's account (rent, a recharge); the balance goes up.

    Raises:
        InvalidTenancyReference, TenancyNotFound, RentAccountNotFound: For a bad tenancy.
        InvalidAmount: If the amount is not a positive number of pence.
        EmptyDescription: If the description is blank.

    """
    at = resolve_now(now)
    value = parse_amount(amount)
    text = require_text(description, field="description", max_length=200)
    tenancy = find_tenancy(session, tenancy_reference)
    account = _account_for(session, tenancy)
    posted = _post(
        session,
        account,
        kind=TransactionKind.CHARGE,
        amount=value,
        effective_on=effective_on,
        description=text,
        method=None,
        external_id=None,
        at=at,
    )
    assert posted is not None  # only an external id can make a posting a duplicate
    audit.record(
        session=session,
        actor=actor,
        action="rent.charged",
        subject=tenancy.reference,
        details={"amount": str(value), "effective_on": effective_on.isoformat()},
        now=at,
    )
    return posted


def post_payment(
    *,
    session: Session,
    tenancy_reference: str,
    amount: Decimal | int | str,
    method: PaymentMethod | str,
    external_id: str | None = None,
    paid_on: date | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> RentTransaction:
    """Record a payment; the balance goes down.

    Posting is idempotent on `external_id` (the payment provider's id): the same payment notified twice is
    posted once and the first posting is returned.

    Args:
        session: The open session.
        tenancy_reference: The tenancy paid for.
        amount: The amount paid, positive.
        method: How it was paid.
        external_id: The provider's id of the payment, if any.
        paid_on: The day it was paid; today in England when None.
        actor: Who recorded it, for the audit log.
        now: The current time; the real clock when None.

    Raises:
        InvalidTenancyReference, TenancyNotFound, RentAccountNotFound: For a bad tenancy.
        InvalidAmount: If the amount is zero, negative, a float or not whole pence.
        InvalidChoice: For an unknown method.
        InvalidDate: If `paid_on` is in the future.

    """
    at = resolve_now(now)
    value = parse_amount(amount)
    how = choice(PaymentMethod, method, "method")
    day = paid_on or today_in_england(at)
    if day > today_in_england(at):
        raise InvalidDate(f"a payment cannot be dated in the future ({day.isoformat()})")
    key = require_text(external_id, field="external_id", max_length=64) if external_id is not None else None
    tenancy = find_tenancy(session, tenancy_reference)
    account = _account_for(session, tenancy)
    posted = _post(
        session,
        account,
        kind=TransactionKind.PAYMENT,
        amount=-value,
        effective_on=day,
        description=f"Payment by {how.value.replace('_', ' ')}",
        method=how.value,
        external_id=key,
        at=at,
    )
    if posted is None:
        existing = session.execute(
            select(RentTransaction).where(RentTransaction.account_id == account.id, RentTransaction.external_id == key)
        ).scalar_one()
        return existing
    audit.record(
        session=session,
        actor=actor,
        action="rent.payment_posted",
        subject=tenancy.reference,
        details={"amount": str(value), "method": how.value, "external_id": key},
        now=at,
    )
    return posted


def summary(*, session: Session, tenancy_reference: str, now: datetime | None = None) -> RentSummary:
    """Return the balance, next due date and last payment of a tenancy.

    Raises:
        InvalidTenancyReference, TenancyNotFound, RentAccountNotFound: For a bad tenancy.

    """
    at = resolve_now(now)
    tenancy = find_tenancy(session, tenancy_reference)
    account = _account_for(session, tenancy)
    last_payment = session.execute(
        select(RentTransaction)
        .where(RentTransaction.account_id == account.id, RentTransaction.kind == TransactionKind.PAYMENT)
        .order_by(RentTransaction.effective_on.desc(), RentTransaction.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    balance = account.balance
    return RentSummary(
        tenancy_reference=tenancy.reference,
        payment_reference=tenancy.payment_reference,
        weekly_rent=tenancy.weekly_rent,
        balance=balance,
        arrears=max(balance, ZERO),
        credit=max(-balance, ZERO),
        next_due_date=next_due_date(account.rent_day, today_in_england(at)),
        last_payment_amount=-last_payment.amount if last_payment is not None else None,
        last_payment_on=last_payment.effective_on if last_payment is not None else None,
    )
