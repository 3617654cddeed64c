"""Rasa's SQL tracker store: on SQLite, tuned like the housing database; on PostgreSQL, surviving a restart.

The embedded default keeps conversations in a SQLite file. Rasa's `SQLTrackerStore` opens a new connection for
every read and write of a tracker (SQLAlchemy 1.4's default for a SQLite file) and leaves SQLite's rollback journal
with `synchronous=FULL`, so every turn's save waited for the disk to flush twice: in a profile of the bench's SMS
load, 5.5 ms a turn on the thread that runs every conversation's turns. `SQLiteTrackerStore` keeps a pool of
connections and sets the housing database's pragmas (`bot.housing.db.configure_sqlite_connection`): WAL, so the
console and the training inbox read while a turn writes, and `synchronous=NORMAL`, which loses no committed turn
when a process dies and at most the last ones on a power cut, never the file. It is loaded from endpoints.yml by
class path (`type: bot.scale.tracker_store.SQLiteTrackerStore`) with the `SQL` type's `db` key.

Rasa's `SQLTrackerStore` keeps a pool of connections but never checks them: after the database restarts, each
pooled connection fails the first request that gets it. `PostgresTrackerStore` turns on SQLAlchemy's
`pool_pre_ping`, so a dead connection is noticed and replaced before use, and only the requests in flight while
the server is really down fail. It is loaded from endpoints.yml by class path (`type:
bot.scale.tracker_store.PostgresTrackerStore`) and takes the same keys as Rasa's `SQL` type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from sqlalchemy.pool import QueuePool

from bot.housing.db import SQLITE_BUSY_TIMEOUT_MS, configure_sqlite_connection


def _replaced_engine_url(store: SQLTrackerStore) -> sa.engine.URL:
    """Close the engine Rasa's constructor made (after it created the tables) and return its URL."""
    first: sa.engine.Engine = store.engine
    first.dispose()
    return first.url


def _use_engine(store: SQLTrackerStore, engine: sa.engine.Engine) -> None:
    """Make `store` read and write through `engine`."""
    store.engine = engine
    store.sessionmaker = sa.orm.session.sessionmaker(bind=engine)


class PostgresTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store with connections checked before use."""

    def __init__(
        self,
        domain: Domain | None = None,
        dialect: str = "postgresql",
        host: str | None = None,
        port: int | None = None,
        db: str = "rasa",
        username: str | None = None,
        password: str | None = None,
        event_broker: EventBroker | None = None,
        login_db: str | None = None,
        query: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Connect like Rasa's `SQLTrackerStore` (creating its tables), then swap in a pre-pinging engine."""
        super().__init__(
            domain=domain,
            dialect=dialect,
            host=host,
            port=port,
            db=db,
            username=username,
            password=password,
            event_broker=event_broker,
            login_db=login_db,
            query=query,
            **kwargs,
        )
        url = _replaced_engine_url(self)
        _use_engine(self, sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url)))


SQLITE_TRACKER_STORE = "bot.scale.tracker_store.SQLiteTrackerStore"
"""The `type` of endpoints.yml's tracker store for the embedded profile."""


class SQLiteTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on a SQLite file, with pooled connections in WAL mode."""

    def __init__(
        self,
        domain: Domain | None = None,
        dialect: str = "sqlite",
        db: str = "rasa.db",
        event_broker: EventBroker | None = None,
        **kwargs: Any,
    ) -> None:
        """Open the SQLite file `db` like Rasa's `SQLTrackerStore` (creating it, its folder and its tables), tuned.

        Raises:
            ValueError: If `dialect` is not sqlite or `db` is an in-memory database (each connection would get its
                own, empty one).
        """
        if dialect != "sqlite":
            raise ValueError(f"SQLiteTrackerStore keeps conversations in a SQLite file, not {dialect!r}")
        if not db or db == ":memory:":
            raise ValueError("SQLiteTrackerStore needs a file: give endpoints.yml's tracker_store a db path")
        Path(db).parent.mkdir(parents=True, exist_ok=True)  # Rasa would only log that it cannot open the file
        super().__init__(domain=domain, dialect=dialect, db=db, event_broker=event_broker, **kwargs)
        engine = sa.create_engine(
            _replaced_engine_url(self),
            poolclass=QueuePool,
            # Rasa's turns and the server's loop may each hold a connection; the pool hands each to one at a time.
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        sa.event.listen(engine, "connect", configure_sqlite_connection)
        _use_engine(self, engine)
