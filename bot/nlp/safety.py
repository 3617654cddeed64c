"""Rasa NLU component that puts the deterministic safety triage in front of the model's intent.

It runs after the trained classifiers and before the FallbackClassifier. When `bot.safety.triage` finds danger in a
message, the intent becomes `report_emergency` (hazards to people or the home) or `report_concern` (someone at risk),
with confidence 1.0, whatever the model predicted, and a `hazard` entity names the kind of danger so the action can
give the right safety message. The model's own prediction is kept under `safety_triage` for audit and evaluation.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.safety.triage import TriageResult, triage

EMERGENCY_INTENT = "report_emergency"
CONCERN_INTENT = "report_concern"
HAZARD_ENTITY = "hazard"
TRIAGE_KEY = "safety_triage"


def intent_for(result: TriageResult) -> str:
    """Return the taxonomy intent that a triage result stands for."""
    return CONCERN_INTENT if result.category == "welfare" else EMERGENCY_INTENT


def apply_triage(message: Message) -> TriageResult | None:
    """Override the message's intent when the text contains danger.

    Args:
        message: A message already classified by the model.

    Returns:
        The triage result that was applied, or None when the text shows no danger.
    """
    text = message.get(TEXT)
    if not isinstance(text, str) or not text.strip():
        return None
    result = triage(text)
    if result is None:
        return None
    model_intent = dict(message.get(INTENT) or {})
    model_ranking = list(message.get(INTENT_RANKING_KEY) or [])
    intent_name = intent_for(result)
    overriding = {INTENT_NAME_KEY: intent_name, PREDICTED_CONFIDENCE_KEY: 1.0}
    message.set(INTENT, overriding, add_to_output=True)
    # The override stands alone in the ranking: a confident model guess left beside it would make the
    # FallbackClassifier see two close "top" intents and turn a detected emergency into a fallback.
    message.set(INTENT_RANKING_KEY, [overriding], add_to_output=True)
    entity = {
        "entity": HAZARD_ENTITY,
        "value": result.danger.value,
        "start": 0,
        "end": len(text),
        "extractor": "SafetyTriage",
        "confidence_entity": 1.0,
    }
    entities = [e for e in (message.get(ENTITIES) or []) if e.get("entity") != HAZARD_ENTITY]
    message.set(ENTITIES, [*entities, entity], add_to_output=True)
    message.set(
        TRIAGE_KEY,
        {
            "danger": result.danger.value,
            "category": result.category,
            "matched": result.matched,
            "immediate_danger": result.immediate_danger,
            "model_intent": model_intent.get(INTENT_NAME_KEY),
            "model_confidence": model_intent.get(PREDICTED_CONFIDENCE_KEY),
            "model_ranking": model_ranking[:5],
        },
        add_to_output=True,
    )
    return result


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyTriage(GraphComponent, IntentClassifier):
    """Overrides the predicted intent when the deterministic triage finds danger."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Need a trained intent classifier before this one."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the (empty) default configuration."""
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyTriage:
        """Create the component; it has no state."""
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        """Apply the safety triage to every message."""
        for message in messages:
            apply_triage(message)
        return messages
