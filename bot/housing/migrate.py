"""Run the housing schema migrations programmatically; migrations are the only way the schema is created."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """Return an Alembic config for `database_url` whose scripts resolve from this package, whatever the cwd.

    The URL travels in `config.attributes`, not in the ini options, because ini interpolation would choke on
    the ``%`` of an URL-encoded password or search path.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` up to `revision` (the latest by default)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Take the database at `database_url` down to `revision` (an empty schema by default)."""
    command.downgrade(alembic_config(database_url), revision)
