"""Rasa's SQL tracker store, made to survive a PostgreSQL restart without failing the next messages.

Rasa's `SQLTrackerStore` keeps a pool of connections but never checks them: after the database restarts, each
pooled connection fails the first request that gets it. `PostgresTrackerStore` turns on SQLAlchemy's
`pool_pre_ping`, so a dead connection is noticed and replaced before use, and only the requests in flight while
the server is really down fail. It is loaded from endpoints.yml by class path (`type:
bot.scale.tracker_store.PostgresTrackerStore`) and takes the same keys as Rasa's `SQL` type.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain


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
        first: sa.engine.Engine = self.engine  # type: ignore[has-type]  # Rasa sets it without a type
        url = first.url
        first.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
