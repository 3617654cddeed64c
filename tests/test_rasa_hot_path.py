"""Rasa's per-turn work done once: the same answers and errors as Rasa's own methods, without the repeated cost."""

from __future__ import annotations

from collections.abc import Iterator

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core import events
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

from bot import rasa_hot_path

GOOD_ANSWER = {
    "events": [{"event": "slot", "name": "repair_location", "value": "kitchen"}],
    "responses": [{"text": "Thanks, I've logged it."}],
}
GARBAGE_ANSWERS = [
    {"events": "not a list"},
    {"events": [{"name": "no event type"}]},
    {"events": [42]},
    {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": "hello"},
]


@pytest.fixture
def installed() -> Iterator[None]:
    assert rasa_hot_path.install()
    yield
    rasa_hot_path.uninstall()


def _action() -> RemoteAction:
    return RemoteAction("action_report_repair", None)


def _rasa_error(answer: dict) -> str:
    rasa_hot_path.uninstall()
    try:
        _action()._validate_action_result(answer)
    except jsonschema.ValidationError as error:
        return error.message
    finally:
        rasa_hot_path.install()
    raise AssertionError(f"Rasa accepted {answer!r}")


def test_valid_action_answer_is_accepted(installed: None) -> None:
    assert _action()._validate_action_result(GOOD_ANSWER) is True
    assert _action()._validate_action_result({}) is True


@pytest.mark.parametrize("answer", GARBAGE_ANSWERS)
def test_invalid_action_answer_raises_the_error_rasa_raises(installed: None, answer: dict) -> None:
    expected = _rasa_error(answer)
    with pytest.raises(jsonschema.ValidationError) as raised:
        _action()._validate_action_result(answer)
    assert raised.value.message == expected
    assert "make sure your response from the Action endpoint is valid" in raised.value.message


def test_the_schema_is_checked_once_not_per_answer(installed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _action()._validate_action_result(GOOD_ANSWER)  # the first use builds the validator
    checks: list[object] = []
    cls = type(rasa_hot_path._response_validator())
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda _cls, schema, **_: checks.append(schema)))
    for _ in range(5):
        _action()._validate_action_result(GOOD_ANSWER)
    assert checks == []


@pytest.mark.parametrize(
    "name, expected", [("user", UserUttered), ("slot", SlotSet), ("action", ActionExecuted), ("rewind", None)]
)
def test_event_classes_resolve_as_in_rasa(installed: None, name: str, expected: type[Event] | None) -> None:
    rasa_hot_path.uninstall()
    rasa_answer = Event.resolve_by_type(name)
    rasa_hot_path.install()
    assert Event.resolve_by_type(name) is rasa_answer
    if expected is not None:
        assert rasa_answer is expected


def test_unknown_event_names_behave_as_in_rasa(installed: None) -> None:
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_event_class_defined_after_the_table_is_found(installed: None) -> None:
    Event.resolve_by_type("user")  # the table exists

    class LandlordNoted(SlotSet):
        type_name = "tenantline_test_landlord_noted"

    assert Event.resolve_by_type("tenantline_test_landlord_noted") is LandlordNoted


def test_a_stored_conversation_deserialises_the_same(installed: None) -> None:
    stored = [
        {"event": "action", "name": "action_session_start"},
        {"event": "user", "text": "my boiler is broken", "parse_data": {"intent": {"name": "report_repair"}}},
        {"event": "active_loop", "name": "repair_form"},
        {"event": "slot", "name": "repair_location", "value": "kitchen"},
        {"event": "bot", "text": "Which room?"},
    ]
    ours = events.deserialise_events(stored)
    rasa_hot_path.uninstall()
    theirs = events.deserialise_events(stored)
    assert ours == theirs and len(ours) == len(stored)


def test_install_is_idempotent_and_reversible() -> None:
    original_validate = RemoteAction._validate_action_result
    original_resolve = Event.resolve_by_type
    assert rasa_hot_path.install() and rasa_hot_path.install()
    assert rasa_hot_path.installed()
    rasa_hot_path.uninstall()
    assert not rasa_hot_path.installed()
    assert RemoteAction._validate_action_result is original_validate
    assert Event.resolve_by_type is original_resolve


def test_other_rasa_series_is_left_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    assert rasa_hot_path.install(version="3.7.0") is False
    assert not rasa_hot_path.installed()
    assert "written for Rasa 3.6" in caplog.text
