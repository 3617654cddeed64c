"""The tracker stores: the embedded profile's SQLite file, pooled and in WAL mode; production's PostgreSQL."""

import os
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

from bot.scale.tracker_store import SQLITE_TRACKER_STORE, PostgresTrackerStore, SQLiteTrackerStore
from bot.settings import PROJECT_ROOT
from tests.conftest import POSTGRES_ENV

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  tenancy_reference:
    type: text
    mappings: [{type: custom}]
"""
)


def conversation(sender_id: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender_id, DOMAIN.slots)
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered("hiya", {"name": "greet", "confidence": 0.99}),
        SlotSet("tenancy_reference", "TN104233"),
    ):
        tracker.update(event)
    return tracker


def store_at(path: Path) -> SQLiteTrackerStore:
    return SQLiteTrackerStore(domain=DOMAIN, db=str(path))


async def test_a_saved_conversation_comes_back_whole(tmp_path):
    store = store_at(tmp_path / "tracker.db")
    await store.save(conversation("sms:+447700900123"))

    again = await store_at(tmp_path / "tracker.db").retrieve("sms:+447700900123")

    assert again is not None
    assert again.latest_message.text == "hiya"
    assert again.get_slot("tenancy_reference") == "TN104233"
    assert await store.retrieve("sms:+447700900999") is None


async def test_the_file_is_in_wal_mode_so_staff_read_while_a_turn_writes(tmp_path):
    path = tmp_path / "tracker.db"
    store = store_at(path)
    await store.save(conversation("sms:+447700900123"))
    with sqlite3.connect(path) as reader:
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert isinstance(store.engine.pool, QueuePool)

    # A turn's write is open; the console's read of the same file is answered at once, without the new event.
    with store.session_scope() as writing:
        writing.add(
            store.SQLEvent(sender_id="sms:+447700900123", type_name="bot", timestamp=9e9, data='{"event": "bot"}')
        )
        writing.flush()
        reader = sqlite3.connect(path, timeout=0.1)
        try:
            count = reader.execute("SELECT count(*) FROM events WHERE sender_id = 'sms:+447700900123'").fetchone()[0]
        finally:
            reader.close()
        writing.commit()
    assert count == 5


async def test_conversations_kept_by_rasas_own_sql_store_are_still_there(tmp_path):
    # An installation from before this store: var/tracker.db written by Rasa's `SQL` type, in rollback-journal mode.
    path = tmp_path / "tracker.db"
    await SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path)).save(conversation("telegram:42"))

    kept = await store_at(path).retrieve("telegram:42")

    assert kept is not None and kept.get_slot("tenancy_reference") == "TN104233"


def test_endpoints_yml_loads_it_the_way_rasa_run_does(tmp_path, monkeypatch):
    section = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())["tracker_store"]
    assert section["type"] == SQLITE_TRACKER_STORE
    monkeypatch.chdir(tmp_path)  # its db path is relative to the server's working directory, whose var/ is missing

    store = TrackerStore.create(EndpointConfig.from_dict(section), domain=DOMAIN)

    assert isinstance(store, SQLiteTrackerStore)
    assert (tmp_path / section["db"]).is_file()


@pytest.mark.parametrize(
    "options, message",
    [
        ({"dialect": "postgresql", "db": "rasa"}, "not 'postgresql'"),
        ({"db": ":memory:"}, "needs a file"),
        ({"db": ""}, "needs a file"),
    ],
)
def test_a_store_that_would_not_keep_conversations_in_a_file_is_refused(options, message):
    with pytest.raises(ValueError, match=message):
        SQLiteTrackerStore(domain=DOMAIN, **options)


@pytest.mark.postgres
async def test_the_production_store_on_postgresql_checks_its_connections_and_keeps_conversations():
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    url = make_url(base)
    name = f"tl_tracker_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        store = PostgresTrackerStore(
            domain=DOMAIN, host=url.host, port=url.port, db=name, username=url.username, password=url.password
        )
        await store.save(conversation("whatsapp:+447700900123"))
        kept = await store.retrieve("whatsapp:+447700900123")
        assert kept is not None and kept.get_slot("tenancy_reference") == "TN104233"
        assert store.engine.pool._pre_ping  # a connection dropped by a restart is replaced, not handed out
        store.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        admin.dispose()
