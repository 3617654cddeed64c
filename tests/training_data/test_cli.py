"""`tenantline inbox ...` and `tenantline intents ...` on a temporary database, tracker store and data copy."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.cli import app
from bot.housing import nlu_inbox
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import InboxStatus
from bot.housing.migrate import upgrade
from bot.settings import get_settings

runner = CliRunner(mix_stderr=False)


@pytest.fixture
def housing_url(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'housing.db'}"
    upgrade(url)
    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("TENANTLINE_DATABASE_URL", url)
    monkeypatch.setenv("TENANTLINE_TRACKER_STORE_URL", tracker)
    monkeypatch.setenv("TENANTLINE_TRAINING_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _seed(url: str, text: str, intent: str = "report_repair") -> int:
    engine = create_engine_for(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            item, _ = nlu_inbox.create(
                session=session,
                key=f"msg:{text}",
                text=text,
                reason="low_confidence",
                received_at=datetime.now(timezone.utc),
                predicted_intent=intent,
                confidence=0.33,
            )
            return int(item.id)
    finally:
        engine.dispose()


def _status(url: str, item_id: int) -> InboxStatus:
    engine = create_engine_for(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return nlu_inbox.get_or_raise(session=session, item_id=item_id).status
    finally:
        engine.dispose()


def test_inbox_list_and_confirm_print_the_item_and_the_yaml_diff(housing_url, data_dir) -> None:
    item_id = _seed(housing_url, "radiator in the back room is stone cold")

    listed = runner.invoke(app, ["inbox", "list"])
    confirmed = runner.invoke(app, ["inbox", "confirm", str(item_id), "--actor", "staff:tess"])

    assert listed.exit_code == 0 and "33%" in listed.stdout and "radiator in the back room" in listed.stdout
    assert confirmed.exit_code == 0, confirmed.stderr
    assert "+    - radiator in the back room is stone cold" in confirmed.stdout
    assert "radiator in the back room is stone cold" in (data_dir / "nlu" / "repairs.yml").read_text(encoding="utf-8")
    assert _status(housing_url, item_id) is InboxStatus.CONFIRMED


def test_inbox_collect_reads_the_tracker_store(housing_url, tmp_path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'tracker.db'}", future=True)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE events "
                "(id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, timestamp FLOAT, data TEXT)"
            )
        )
        event = {"event": "user", "text": "eh?", "parse_data": {"intent": {"name": "greet", "confidence": 0.2}}}
        connection.execute(
            sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES ('t:1', 'user', 5.0, :d)"),
            {"d": json.dumps(event)},
        )
    engine.dispose()

    first = runner.invoke(app, ["inbox", "collect"])
    second = runner.invoke(app, ["inbox", "collect", "--threshold", "0.9"])

    assert first.stdout.strip() == "read 1 tenant messages; 1 added, 0 already in the inbox"
    assert second.stdout.strip() == "read 0 tenant messages; 0 added, 0 already in the inbox"


@pytest.mark.parametrize(
    ("arguments", "code", "words"),
    [
        (["inbox", "confirm", "abc"], 2, "is not a valid integer"),
        (["inbox", "confirm", "4242"], 1, "does not exist"),
        (["inbox", "relabel", "1"], 2, "Missing option '--intent'"),
        (["inbox", "relabel", "1", "--intent", "order_pizza"], 1, "no intent called 'order_pizza'"),
        (["inbox", "list", "--status", "lost"], 1, "status must be one of"),
        (["inbox", "list", "--limit", "0"], 2, "Invalid value"),
        (["inbox", "collect", "--threshold", "7"], 2, "Invalid value"),
        (["intents", "show", "order_pizza"], 1, "no intent called 'order_pizza'"),
        (["intents", "add", "greet", "[broken (markup"], 1, "entity markup is broken"),
        (["intents", "add", "greet", "hello"], 1, "greet already has this example"),
        (["intents", "remove", "greet", "never said"], 1, "greet has no example"),
        (["intents", "list", "--data-dir", "/nonexistent"], 1, "has no nlu/ folder"),
    ],
)
def test_cli_garbage_is_refused_with_a_clear_error_and_changes_nothing(
    housing_url, data_dir, arguments, code, words
) -> None:
    item_id = _seed(housing_url, "the thing")
    before = {path: path.read_bytes() for path in (data_dir / "nlu").glob("*.yml")}

    result = runner.invoke(app, arguments)

    assert result.exit_code == code
    assert words in result.stderr
    assert {path: path.read_bytes() for path in before} == before
    assert _status(housing_url, item_id) is InboxStatus.NEW


def test_intents_add_edit_remove_and_check(housing_url, data_dir) -> None:
    added = runner.invoke(app, ["intents", "add", "thank", "ta muchly duck"])
    edited = runner.invoke(app, ["intents", "edit", "thank", "ta muchly duck", "ta muchly me duck"])
    shown = runner.invoke(app, ["intents", "show", "thank", "--search", "MUCHLY"])
    removed = runner.invoke(app, ["intents", "remove", "thank", "ta muchly me duck"])
    checked = runner.invoke(app, ["intents", "check"])
    listed = runner.invoke(app, ["intents", "list"])

    assert "+    - ta muchly duck" in added.stdout
    assert "+    - ta muchly me duck" in edited.stdout
    assert "ta muchly me duck" in shown.stdout.splitlines()
    assert all("muchly" in line for line in shown.stdout.splitlines())
    assert "-    - ta muchly me duck" in removed.stdout
    assert checked.exit_code == 0 and "no problems found" in checked.stdout
    assert "report_emergency" in listed.stdout and "/ 60" in listed.stdout


def test_intents_check_fails_when_an_intent_has_too_few_examples(housing_url, data_dir) -> None:
    path = data_dir / "nlu" / "contact.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:10]), encoding="utf-8")

    result = runner.invoke(app, ["intents", "check"])

    assert result.exit_code == 1
    assert "ask_contact_info has" in result.stderr and "needs at least 30" in result.stderr
