"""Engines and sessions for the housing database; nothing is created at import time.

SQLite (the embedded default) is tuned for a small multi-threaded server: foreign keys on (SQLite leaves them
off per connection), WAL so readers never wait for the writer, and a busy timeout so a second writer waits its
turn instead of failing at once. PostgreSQL (production) gets `pool_pre_ping` so a connection dropped by a
restart or a firewall is replaced rather than handed to a request.

A SQLite file keeps a pool of open connections (SQLAlchemy 1.4 opens and closes one per session by default): opening
one and setting its pragmas cost more CPU than the queries of a whole conversation turn (docs/bench.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another writer to finish before giving up."""


def configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """Set a new SQLite connection's pragmas (an engine's "connect" listener; the tracker store uses it too)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL is still crash-safe for the database; it only risks the last commits on power loss.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def create_engine_for(url: str, **engine_options: Any) -> Engine:
    """Create a 2.0-style engine for `url`, configured for its backend.

    Args:
        url: SQLAlchemy database URL, e.g. ``sqlite:///var/housing.db`` or
            ``postgresql+psycopg2://user@host/db``.
        **engine_options: Extra keyword arguments for `sqlalchemy.create_engine` (e.g. ``echo=True``).

    Returns:
        An engine with `future=True`.

    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args = dict(engine_options.pop("connect_args", {}))
        # Sessions may be used from the action server's worker threads; each connection is still used by one
        # thread at a time because the pool hands it out exclusively.
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        if parsed.database and parsed.database != ":memory:" and "poolclass" not in engine_options:
            # Reuse connections: each one is configured once instead of on every session.
            engine_options["poolclass"] = QueuePool
        engine = create_engine(url, future=True, connect_args=connect_args, **engine_options)
        event.listen(engine, "connect", configure_sqlite_connection)
        return engine
    engine_options.setdefault("pool_pre_ping", True)
    return create_engine(url, future=True, **engine_options)


def make_session_factory(engine: Engine) -> sessionmaker:
    """Return a session factory bound to `engine`.

    Objects stay readable after commit (`expire_on_commit=False`) because services return them to callers that
    use them once the session has closed; relationships that were not loaded must be read inside the session.
    """
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def session_scope(factory: Callable[[], Session]) -> Iterator[Session]:
    """Open a session, commit it if the block succeeds, roll it back if it raises, and close it.

    Args:
        factory: A session factory from `make_session_factory`.

    Yields:
        The session, inside one transaction.

    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
