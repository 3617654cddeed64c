"""Rent accounts and the charges and payments that move them.

Sign convention: a positive amount increases what the tenant owes (a charge); a negative amount reduces it (a
payment). So a positive balance is arrears and a negative balance is credit.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import relationship
from sqlalchemy.sql.expression import text

from bot.housing.coltypes import EnumText, Money, UTCDateTime
from bot.housing.enums import TransactionKind
from bot.housing.models.base import Base, created_at_column, enum_check, updated_at_column


class RentAccount(Base):
    """The rent account of one tenancy, holding its running balance (positive = arrears)."""

    __tablename__ = "rent_accounts"
    __table_args__ = (CheckConstraint("rent_day >= 0 AND rent_day <= 6", name="rent_day_weekday"),)

    id = Column(Integer, primary_key=True)
    tenancy_id = Column(Integer, ForeignKey("tenancies.id", ondelete="CASCADE"), nullable=False, unique=True)
    balance = Column(Money(), nullable=False, server_default=text("0"))
    # Day of the week rent falls due, Monday = 0 as in `date.weekday()`.
    rent_day = Column(SmallInteger, nullable=False, server_default=text("0"))
    created_at = created_at_column()
    updated_at = updated_at_column()

    tenancy = relationship("Tenancy", back_populates="rent_account")


class RentTransaction(Base):
    """One charge, payment or adjustment, with the account balance after it."""

    __tablename__ = "rent_transactions"
    __table_args__ = (
        enum_check("kind", TransactionKind),
        UniqueConstraint("account_id", "external_id"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_rent_transactions_account_date", "account_id", "effective_on"),
    )

    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("rent_accounts.id", ondelete="CASCADE"), nullable=False)
    kind = Column(EnumText(TransactionKind, 16), nullable=False)
    amount = Column(Money(), nullable=False)
    balance_after = Column(Money(), nullable=False)
    effective_on = Column(Date, nullable=False)
    description = Column(String(200), nullable=False)
    method = Column(String(30), nullable=True)
    # The payment provider's id, so the same payment notified twice is posted once.
    external_id = Column(String(64), nullable=True)
    posted_at = Column(UTCDateTime(), nullable=False)
