"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no timezone-aware timestamp and no exact decimal, so both are adapted here rather than in every
query: instants are stored as naive UTC text on SQLite and `timestamptz` on PostgreSQL, always read back as
aware UTC; money is exact `numeric(12, 2)` on PostgreSQL and whole pence in an integer on SQLite, always read
back as `Decimal` with two places.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

PENNY = Decimal("0.01")


class UTCDateTime(TypeDecorator):
    """An instant stored in UTC and always returned as a timezone-aware UTC datetime.

    Naive datetimes are refused when written, because nothing can tell whether they meant UTC or UK time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        """Convert an aware datetime to UTC (naive UTC on SQLite, which would otherwise drop the offset)."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(f"refusing to store naive datetime {value.isoformat()}: pass a timezone-aware one")
        as_utc = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return as_utc.replace(tzinfo=None)
        return as_utc

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Money(TypeDecorator):
    """An amount of pounds held exactly: `Decimal` in and out, never a float.

    Floats are refused when written; values are rounded to whole pence only if they already are whole pence,
    otherwise refused, so that no amount is silently changed.
    """

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> TypeEngine:
        """Use whole pence in an integer on SQLite, whose NUMERIC affinity would store a float."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(12, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        """Check the amount is a whole number of pence and convert it for the dialect."""
        if value is None:
            return None
        if isinstance(value, (float, bool)) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"money must be a Decimal or int, got {type(value).__name__}")
        amount = Decimal(value)
        if amount != amount.quantize(PENNY):
            raise ValueError(f"money must be a whole number of pence, got {amount}")
        if dialect.name == "sqlite":
            return int(amount * 100)
        return amount.quantize(PENNY)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        """Return the stored amount as a Decimal with two places."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(PENNY)
        return Decimal(value).quantize(PENNY)


def json_type() -> TypeEngine:
    """Return a JSON column type: JSONB on PostgreSQL (indexable, compact), JSON text elsewhere."""
    return JSON().with_variant(JSONB(), "postgresql")


class EnumText(TypeDecorator):
    """A string Enum stored as its value in a VARCHAR, returned as the Enum member.

    Allowed values are enforced in the database by a CHECK constraint declared next to each column (see
    `bot.housing.models.base.enum_check`), not by a native enum type, so adding a value is a plain migration
    on both backends.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_cls: type[enum.Enum], length: int = 24) -> None:
        """Store members of `enum_cls` in a VARCHAR(`length`)."""
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        """Accept a member or its value; refuse anything else."""
        if value is None:
            return None
        return str(self.enum_cls(value).value)

    def process_result_value(self, value: Any, dialect: Any) -> enum.Enum | None:
        """Return the Enum member for a stored value."""
        if value is None:
            return None
        return self.enum_cls(value)
