"""Dialect-aware SQL helpers the services share: SQLite and PostgreSQL spell some statements differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def dialect_name(session: Session) -> str:
    """Return the name of the database dialect the session is bound to ("sqlite", "postgresql")."""
    return str(session.get_bind().dialect.name)


def insert_ignore(
    session: Session,
    table: Table,
    values: dict[str, Any],
    *,
    conflict_columns: list[str],
    conflict_where: Any | None = None,
) -> Any | None:
    """Insert a row unless one with the same `conflict_columns` exists, atomically.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction and then does nothing,
    so exactly one of two racing callers inserts.

    Args:
        session: The open session.
        table: The table to insert into.
        values: The new row.
        conflict_columns: The columns of the unique index that decides whether the row exists.
        conflict_where: The WHERE clause of that index, if it is a partial index.

    Returns:
        The new row's primary key (the first column of it) if the row was inserted, None if it already
        existed.

    """
    name = dialect_name(session)
    if name == "postgresql":
        statement: Any = postgresql_insert(table).values(**values)
    elif name == "sqlite":
        statement = sqlite_insert(table).values(**values)
    else:
        raise NotImplementedError(f"insert_ignore does not support the {name} dialect")
    result = session.execute(
        statement.on_conflict_do_nothing(index_elements=conflict_columns, index_where=conflict_where)
    )
    if result.rowcount != 1:
        return None
    return result.inserted_primary_key[0]
