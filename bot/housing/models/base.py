"""The declarative base, the constraint naming convention and small column helpers shared by every model."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import CheckConstraint, Column, MetaData
from sqlalchemy.orm import declarative_base

from bot.housing.coltypes import UTCDateTime

# Named constraints let migrations drop or alter them by name on both backends (SQLite batch mode needs it).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)
Base: Any = declarative_base(metadata=metadata)


def enum_check(column: str, enum_cls: type[enum.Enum]) -> CheckConstraint:
    """Return a CHECK constraint limiting `column` to the values of `enum_cls`."""
    allowed = ", ".join(f"'{member.value}'" for member in enum_cls)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


def created_at_column() -> Any:
    """Return the `created_at` column every table carries."""
    return Column(UTCDateTime(), nullable=False)


def updated_at_column() -> Any:
    """Return the `updated_at` column of tables whose rows change after creation."""
    return Column(UTCDateTime(), nullable=False)
