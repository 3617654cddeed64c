"""The housing database as the channels see it: one lazily created session factory per Rasa server process.

Nothing connects at import. Tests (and the in-process test server) point the channels at a temporary database
with `use_session_factory`.
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock

from sqlalchemy.orm import Session

from bot.housing.db import create_engine_for, make_session_factory
from bot.settings import get_settings

_factory: Callable[[], Session] | None = None
_lock = Lock()


def session_factory() -> Callable[[], Session]:
    """Return the housing database's session factory, creating the engine on first use."""
    global _factory
    if _factory is None:
        with _lock:
            if _factory is None:
                _factory = make_session_factory(create_engine_for(get_settings().database_url))
    return _factory


def use_session_factory(factory: Callable[[], Session] | None) -> None:
    """Point the channels at another database (tests), or back at the configured one with None."""
    global _factory
    with _lock:
        _factory = factory
