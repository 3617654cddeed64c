"""Build a migrated, seeded demo housing database file for tests."""

from __future__ import annotations

from pathlib import Path

from bot.housing.db import create_engine_for, make_session_factory
from bot.housing.migrate import upgrade
from bot.housing.seed import seed_demo


def seeded_database(path: Path) -> Path:
    """Create the demo landlord in a new SQLite file at `path` and return the path."""
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = create_engine_for(url)
    try:
        seed_demo(make_session_factory(engine))
    finally:
        engine.dispose()
    return path
