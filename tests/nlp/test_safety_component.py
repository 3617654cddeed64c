"""The SafetyTriage NLU component (bot/nlp/safety.py): danger overrides the model's intent, nothing else does."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlp.safety import CONCERN_INTENT, EMERGENCY_INTENT, HAZARD_ENTITY, TRIAGE_KEY, SafetyTriage, apply_triage


def classified(text: Any, intent: str | None = "report_repair", confidence: float = 0.8, **extra: Any) -> Message:
    """A message as the trained classifiers leave it: text, intent, ranking and entities, all in the output."""
    message = Message(data={TEXT: text})
    message.set(TEXT, text, add_to_output=True)
    if intent is not None:
        message.set(INTENT, {"name": intent, "confidence": confidence}, add_to_output=True)
        ranking = [{"name": intent, "confidence": confidence}, {"name": "repair_status", "confidence": 0.1}]
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    message.set(ENTITIES, list(extra.get("entities", [])), add_to_output=True)
    return message


def component() -> SafetyTriage:
    return SafetyTriage.create(SafetyTriage.get_default_config(), None, None, None)  # type: ignore[arg-type]


def hazards(message: Message) -> list[dict[str, Any]]:
    return [e for e in message.get(ENTITIES) or [] if e.get("entity") == HAZARD_ENTITY]


@pytest.mark.parametrize(
    ("text", "danger"),
    [
        ("I can smell gas in the kitchen", "gas"),
        ("the CO alarm is going off", "carbon_monoxide"),
        ("my kitchen is on fire", "fire"),
        ("smoke coming out of the plug socket", "electrical"),
        ("water pouring through the ceiling", "flood"),
        ("sewage coming up in the bath", "sewage"),
        ("front door kicked in cant lock it", "insecure_home"),
        ("\U0001f525\U0001f525\U0001f525", "fire"),
    ],
)
def test_a_hazard_overrides_the_model_with_report_emergency_and_names_the_hazard(text: str, danger: str) -> None:
    """DOMAIN.md, "Safety messages the assistant gives at once": danger in the text beats the model's guess."""
    message = classified(text, intent="report_repair", confidence=0.8)
    [processed] = component().process([message])

    assert processed.get(INTENT) == {"name": EMERGENCY_INTENT, "confidence": 1.0}
    assert processed.get(INTENT_RANKING_KEY) == [{"name": EMERGENCY_INTENT, "confidence": 1.0}]
    [entity] = hazards(processed)
    assert entity["value"] == danger
    assert entity["extractor"] == "SafetyTriage"
    triage = processed.get(TRIAGE_KEY)
    assert triage["danger"] == danger
    assert triage["category"] == "emergency"
    assert triage["model_intent"] == "report_repair"
    assert triage["model_confidence"] == 0.8
    assert {"name": "report_repair", "confidence": 0.8} in triage["model_ranking"]
    assert triage["matched"]


@pytest.mark.parametrize(
    ("text", "danger"),
    [
        ("my neighbour hasnt been seen for days", "person_at_risk"),
        ("my husband hit me last night", "domestic_abuse"),
        ("I want to kill myself", "self_harm"),
        ("the child next door is left alone all the time", "child_at_risk"),
    ],
)
def test_someone_at_risk_overrides_the_model_with_report_concern(text: str, danger: str) -> None:
    message = classified(text, intent="report_antisocial_behaviour", confidence=0.7)
    result = apply_triage(message)

    assert result is not None and result.danger.value == danger
    assert message.get(INTENT) == {"name": CONCERN_INTENT, "confidence": 1.0}
    assert [e["value"] for e in hazards(message)] == [danger]
    assert message.get(TRIAGE_KEY)["category"] == "welfare"
    assert message.get(TRIAGE_KEY)["model_intent"] == "report_antisocial_behaviour"


def test_immediate_danger_is_recorded_for_the_action_to_put_999_first() -> None:
    message = classified("i am going to end it all tonight", intent="out_of_scope")
    apply_triage(message)
    assert message.get(TRIAGE_KEY)["immediate_danger"] is True


def test_the_override_reaches_the_output_the_action_server_reads() -> None:
    message = classified("I can smell gas", intent="greet")
    apply_triage(message)
    output = message.as_dict(only_output_properties=True)
    assert output[INTENT]["name"] == EMERGENCY_INTENT
    assert output[TRIAGE_KEY]["danger"] == "gas"
    assert any(e["entity"] == HAZARD_ENTITY for e in output[ENTITIES])


def test_a_model_that_already_said_emergency_keeps_one_ranking_entry() -> None:
    message = classified("gas leak!!", intent=EMERGENCY_INTENT, confidence=0.55)
    apply_triage(message)
    names = [r["name"] for r in message.get(INTENT_RANKING_KEY)]
    assert names.count(EMERGENCY_INTENT) == 1
    assert message.get(TRIAGE_KEY)["model_confidence"] == 0.55


def test_other_entities_are_kept_and_a_stale_hazard_entity_is_replaced() -> None:
    entities = [
        {"entity": "repair_item", "value": "socket"},
        {"entity": HAZARD_ENTITY, "value": "flood"},
    ]
    message = classified("the socket is sparking", entities=entities)
    apply_triage(message)
    assert {"entity": "repair_item", "value": "socket"} in message.get(ENTITIES)
    assert [e["value"] for e in hazards(message)] == ["electrical"]


def test_a_message_the_model_did_not_classify_is_still_overridden() -> None:
    message = classified("there's a fire in the bin room", intent=None)
    apply_triage(message)
    assert message.get(INTENT)["name"] == EMERGENCY_INTENT
    assert message.get(TRIAGE_KEY)["model_intent"] is None


@pytest.mark.parametrize(
    "text",
    [
        "my gas bill is too high",
        "fire alarm test today",
        "this rent is killing me",
        "hello",
        "",
        "   ",
        "\U0001f600\U0001f44d",
        "The tap in the bathroom drips a bit. " * 140,
    ],
    ids=["gas-bill", "alarm-test", "figure-of-speech", "greeting", "empty", "blank", "emoji", "5000-characters"],
)
def test_harmless_messages_keep_the_models_intent_ranking_and_entities(text: str) -> None:
    message = classified(text, intent="ask_rent_balance", confidence=0.9)
    before = copy.deepcopy(message.as_dict(only_output_properties=True))
    [processed] = component().process([message])

    assert processed.as_dict(only_output_properties=True) == before
    assert processed.get(TRIAGE_KEY) is None
    assert hazards(processed) == []


@pytest.mark.parametrize("text", [None, 42, b"gas leak"], ids=["none", "number", "bytes"])
def test_a_message_without_string_text_is_left_alone(text: Any) -> None:
    message = classified(text, intent="greet")
    assert apply_triage(message) is None
    assert message.get(INTENT)["name"] == "greet"


def test_process_handles_every_message_in_a_batch_and_returns_them_in_order() -> None:
    messages = [classified("hello"), classified("I can smell gas"), classified("my neighbour hasnt been seen for days")]
    processed = component().process(messages)
    assert processed == messages
    assert [m.get(INTENT)["name"] for m in processed] == ["report_repair", EMERGENCY_INTENT, CONCERN_INTENT]


def test_the_component_needs_an_intent_classifier_before_it() -> None:
    from rasa.nlu.classifiers.classifier import IntentClassifier

    assert SafetyTriage.required_components() == [IntentClassifier]
    assert SafetyTriage.get_default_config() == {}


def test_a_confident_wrong_model_guess_does_not_turn_a_detected_emergency_into_a_fallback() -> None:
    """The FallbackClassifier runs after the triage: a close second intent must not make it ambiguous."""
    from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier

    message = classified("CO ALARM GOING OFF", intent="out_of_scope", confidence=0.97)
    [processed] = component().process([message])
    fallback = FallbackClassifier({"threshold": 0.45, "ambiguity_threshold": 0.1})
    [final] = fallback.process([processed])
    assert final.get(INTENT)["name"] == EMERGENCY_INTENT
