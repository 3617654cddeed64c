"""The embedded profile's tracker store: Rasa's SQL store on a SQLite file, pooled and in WAL mode."""

import sqlite3
from pathlib import Path

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.pool import QueuePool

from bot.scale.tracker_store import SQLITE_TRACKER_STORE, SQLiteTrackerStore
from bot.settings import PROJECT_ROOT

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
