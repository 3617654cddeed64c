from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.housing.db import create_engine_for
from bot.housing.migrate import downgrade, upgrade
from bot.housing.models import metadata

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _tables(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_creates_exactly_the_schema_of_the_models(empty_database_url) -> None:
    upgrade(empty_database_url)
    engine = create_engine_for(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()
    assert _tables(empty_database_url) == set(metadata.tables) | {"alembic_version"}


def test_downgrade_to_base_removes_every_table(empty_database_url) -> None:
    upgrade(empty_database_url)
    downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == {"alembic_version"}
    upgrade(empty_database_url)
    assert set(metadata.tables) <= _tables(empty_database_url)


def test_upgrade_works_from_any_working_directory(empty_database_url, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    upgrade(empty_database_url)
    upgrade(empty_database_url)  # already at head: nothing to do, no error
    assert "repair_jobs" in _tables(empty_database_url)


def test_alembic_ini_finds_the_scripts_and_a_single_head_for_the_cli() -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1
    assert scripts.get_base() == "0001"


def test_0003_keeps_earlier_inbound_ids_as_done_and_downgrades_cleanly(empty_database_url) -> None:
    upgrade(empty_database_url, "0002")
    engine = create_engine_for(empty_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO inbound_messages (channel, external_id, received_at) "
                    "VALUES ('sms', 'SMold', CURRENT_TIMESTAMP)"
                )
            )
        upgrade(empty_database_url)
        with engine.connect() as connection:
            row = connection.execute(sa.text("SELECT status, attempts, payload FROM inbound_messages")).one()
        assert tuple(row) == ("done", 0, None)  # handled by the old file journal: never processed again
        downgrade(empty_database_url, "0002")
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT external_id FROM inbound_messages")).scalar_one() == "SMold"
    finally:
        engine.dispose()
