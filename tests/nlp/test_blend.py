"""The LinearIntentBlend NLU component (bot/nlp/blend.py): a second opinion that can outvote a weak DIET guess."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.blend import BLEND_KEY, LinearIntentBlend, blend_rankings
from bot.nlp.select_pipeline import Prediction, reblended

EXAMPLES = {
    "report_repair": ["my tap is leaking", "boiler broke", "the toilet wont flush", "window handle snapped"],
    "pay_rent": ["how do i pay my rent", "can i pay rent online", "pay rent by card", "where do i pay"],
    "greet": ["hiya", "hello there", "good morning", "hey"],
}


def training_data() -> TrainingData:
    messages = [Message(data={TEXT: text, INTENT: intent}) for intent, texts in EXAMPLES.items() for text in texts]
    return TrainingData(training_examples=messages)


def diet_says(text: str, ranking: list[tuple[str, float]]) -> Message:
    message = Message(data={TEXT: text})
    items = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    message.set(INTENT, items[0] if items else None, add_to_output=True)
    message.set(INTENT_RANKING_KEY, items, add_to_output=True)
    return message


@pytest.fixture
def storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def trained(storage: LocalModelStorage, **config: Any) -> LinearIntentBlend:
    component = LinearIntentBlend.create(
        {**LinearIntentBlend.get_default_config(), **config}, storage, Resource("blend"), context()
    )
    component.train(training_data())
    return component


def test_blend_weights_diet_by_alpha_and_the_linear_model_by_the_rest() -> None:
    ranked = blend_rankings([("a", 0.6), ("b", 0.4)], [("b", 0.9), ("a", 0.1)], alpha=0.4)
    assert [name for name, _ in ranked] == ["b", "a"]
    assert ranked[0][1] == pytest.approx(0.4 * 0.4 + 0.6 * 0.9)
    assert ranked[1][1] == pytest.approx(0.4 * 0.6 + 0.6 * 0.1)


def test_blend_counts_an_intent_missing_from_one_ranking_as_zero_and_keeps_diets_order_on_a_tie() -> None:
    ranked = blend_rankings([("a", 0.5), ("b", 0.5)], [("c", 1.0)], alpha=0.5)
    assert ranked == [("c", 0.5), ("a", 0.25), ("b", 0.25)]
    assert blend_rankings([("b", 0.5), ("a", 0.5)], [], alpha=1.0) == [("b", 0.5), ("a", 0.5)]


@pytest.mark.parametrize("alpha", [-0.1, 1.5])
def test_blend_refuses_a_weight_outside_zero_to_one(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        blend_rankings([("a", 1.0)], [], alpha)


@pytest.mark.parametrize(
    ("config", "named"),
    [({"alpha": 2}, "alpha"), ({"alpha": "half"}, "alpha"), ({"C": 0}, "C"), ({"ranking_length": 0}, "ranking_length")],
)
def test_garbage_settings_fail_at_start_up_naming_the_setting(
    storage: LocalModelStorage, config: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        LinearIntentBlend.create(config, storage, Resource("blend"), context())


def test_a_weak_diet_guess_is_outvoted_when_the_words_say_otherwise(storage: LocalModelStorage) -> None:
    component = trained(storage)
    message = diet_says("how do i pay my rent", [("report_repair", 0.5), ("pay_rent", 0.45), ("greet", 0.05)])
    [processed] = component.process([message])

    assert processed.get(INTENT)["name"] == "pay_rent"
    ranking = processed.get(INTENT_RANKING_KEY)
    assert [item["name"] for item in ranking][:1] == ["pay_rent"]
    assert sorted(item["confidence"] for item in ranking)[::-1] == [item["confidence"] for item in ranking]
    kept = processed.get(BLEND_KEY)
    assert kept["alpha"] == 0.4
    assert kept["diet"][0] == ("report_repair", 0.5)
    assert kept["linear"][0][0] == "pay_rent"


def test_alpha_one_leaves_diets_choice_alone(storage: LocalModelStorage) -> None:
    component = trained(storage, alpha=1.0)
    [processed] = component.process([diet_says("how do i pay my rent", [("report_repair", 0.5), ("pay_rent", 0.45)])])
    assert processed.get(INTENT)["name"] == "report_repair"


@pytest.mark.parametrize("text", ["", "   ", None])
def test_a_message_without_text_is_left_as_it_was(storage: LocalModelStorage, text: Any) -> None:
    component = trained(storage)
    message = Message(data={TEXT: text} if text is not None else {})
    [processed] = component.process([message])
    assert processed.get(INTENT) is None
    assert processed.get(BLEND_KEY) is None


def test_a_loaded_model_ranks_exactly_as_the_trained_one(storage: LocalModelStorage) -> None:
    component = trained(storage)
    loaded = LinearIntentBlend.load(LinearIntentBlend.get_default_config(), storage, Resource("blend"), context())
    for text in ("boiler broke again", "hello", "pay the rent"):
        assert loaded.linear_ranking(text) == component.linear_ranking(text)


def test_training_with_one_intent_passes_diet_through(storage: LocalModelStorage) -> None:
    component = LinearIntentBlend.create({}, storage, Resource("blend"), context())
    component.train(TrainingData(training_examples=[Message(data={TEXT: "hi", INTENT: "greet"})]))
    [processed] = component.process([diet_says("hi", [("greet", 0.9)])])
    assert processed.get(INTENT)["name"] == "greet"
    assert processed.get(BLEND_KEY) is None
    loaded = LinearIntentBlend.load({}, storage, Resource("blend"), context())
    assert loaded.linear_ranking("hi") == []


def test_cross_validation_can_reblend_with_another_weight_and_faq_takes_the_selectors_topic() -> None:
    prediction = Prediction(
        text="can i keep a cat",
        expected="faq/pets",
        label="report_repair",
        confidence=0.5,
        runner_up=0.4,
        overridden=False,
        diet_ranking=[("report_repair", 0.5), ("faq", 0.4)],
        linear_ranking=[("faq", 0.9), ("report_repair", 0.1)],
        faq_topic="faq/pets",
    )
    assert reblended(prediction, 1.0).label == "report_repair"
    again = reblended(prediction, 0.4)
    assert again.label == "faq/pets"
    assert again.confidence == pytest.approx(0.4 * 0.4 + 0.6 * 0.9)
    assert again.runner_up == pytest.approx(0.4 * 0.5 + 0.6 * 0.1)


def test_reblending_never_touches_what_the_safety_triage_set() -> None:
    prediction = Prediction("i smell gas", "report_emergency", "report_emergency", 1.0, 0.0, True, [], [("faq", 1.0)])
    assert reblended(prediction, 0.0) == prediction
