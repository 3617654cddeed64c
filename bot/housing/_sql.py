"""Small dialect-aware SQL helpers the services share (SQLite and PostgreSQL spell some things differently)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def dialect_name(session: Session) -> str:
    """Return the name of the database dialect the session is bound to ("sqlite", "postgresql")."""
    return str(session.get_bind().dialect.name)


def insert_ignore(session: Session, table: Table, values: dict[str, Any], *, conflict_columns: list[str]) -> bool:
    """Insert a row unless one with the same `conflict_columns` exists, atomically.

    Returns:
        True if the row was inserted, False if it already existed.
    """
    name = dialect_name(session)
    if name == "postgresql":
        statement: Any = postgresql_insert(table).values(**values)
    elif name == "sqlite":
        statement = sqlite_insert(table).values(**values)
    else:
        raise NotImplementedError(f"insert_ignore does not support the {name} dialect")
    result = session.execute(statement.on_conflict_do_nothing(index_elements=conflict_columns))
    return bool(result.rowcount == 1)
