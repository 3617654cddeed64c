"""A second opinion on the intent: a linear word and character n-gram model, blended with DIET's ranking.

DIET and a TF-IDF logistic regression make different mistakes: DIET generalises over word order and shared sub-words,
the linear model keys on distinctive words and spellings it has seen. On cross-validated folds of the training data
the blend of the two rankings scores higher macro-F1 than either alone, with fewer messages sent to the fallback
(docs/nlu-pipeline.md has the figures and how `alpha` and the fallback threshold were chosen).

The component sits after DIETClassifier and before the safety triage and the FallbackClassifier, so a detected
danger still overrides the blend and the fallback sees the blended confidence. Both inputs are kept in the parse
under `intent_blend` so an evaluation can re-blend them with other weights without retraining.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline, make_union

logger = logging.getLogger(__name__)

BLEND_KEY = "intent_blend"
MODEL_FILE = "linear_intents.joblib"


def blend_rankings(
    diet: list[tuple[str, float]], linear: list[tuple[str, float]], alpha: float
) -> list[tuple[str, float]]:
    """Return the intents ranked by `alpha` x DIET's confidence + (1 - alpha) x the linear model's, best first.

    An intent missing from one ranking counts as confidence 0 there (DIET reports only its top intents).
    Ties keep DIET's order.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    scores: dict[str, float] = {}
    for name, confidence in diet:
        scores[name] = scores.get(name, 0.0) + alpha * confidence
    for name, confidence in linear:
        scores[name] = scores.get(name, 0.0) + (1.0 - alpha) * confidence
    order = {name: index for index, (name, _) in enumerate(diet)}
    return sorted(scores.items(), key=lambda item: (-item[1], order.get(item[0], len(order))))


def linear_intent_model(c: float, *, seed: int | None = None, max_iter: int = 3000) -> Pipeline:
    """Return an untrained TF-IDF (words 1-2, characters 2-5 within word boundaries) logistic regression.

    The blend's second opinion, and the bench's TF-IDF baseline (bench/understanding.py) with its own C.

    Solved by Newton-CG rather than scikit-learn's default L-BFGS: the same convex problem, reached in 16
    iterations instead of 132. On the 1,941 training examples (30,003 n-grams, 25 intents) that is 5.2 s instead of
    14.2 s of every training, and its probabilities are closer to the exact optimum (at most 1e-5 away, against
    4e-5 for L-BFGS); SciPy's L-BFGS spends most of each iteration bookkeeping its 750,000 parameters.
    """
    return make_pipeline(
        make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, lowercase=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True),
        ),
        LogisticRegression(C=c, solver="newton-cg", max_iter=max_iter, random_state=seed),
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentBlend(GraphComponent, IntentClassifier):
    """Blends DIET's intent ranking with a TF-IDF (words 1-2, characters 2-5) logistic regression's."""

    @classmethod
    def required_components(cls) -> list[type]:
        """None Rasa can check: the blend reads DIET's ranking when processing, but trains on the text alone.

        Rasa checks required components against the training graph, where DIET is not an ancestor of this
        component, so naming DIET here would reject every valid config. Without an intent ranking before it the
        blend is simply the linear model's ranking.
        """
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the defaults: chosen by cross-validation (docs/nlu-pipeline.md)."""
        return {"alpha": 0.4, "C": 100.0, "ranking_length": 10, "random_seed": 1}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None = None,
    ) -> None:
        """Create the component from its config (checked) and, once trained or loaded, the linear model."""
        self.config = {**self.get_default_config(), **config}
        alpha, c, length = self.config["alpha"], self.config["C"], self.config["ranking_length"]
        if not isinstance(alpha, (int, float)) or not 0.0 <= float(alpha) <= 1.0:
            raise ValueError(f"LinearIntentBlend: alpha must be a number from 0 to 1, got {alpha!r}")
        if not isinstance(c, (int, float)) or float(c) <= 0.0:
            raise ValueError(f"LinearIntentBlend: C must be a positive number, got {c!r}")
        if not isinstance(length, int) or length < 1:
            raise ValueError(f"LinearIntentBlend: ranking_length must be a whole number from 1, got {length!r}")
        self._model_storage = model_storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentBlend:
        """Create an untrained component."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the linear model on the intent examples (FAQ topics count as their retrieval intent) and persist it."""
        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        labels = [str(e.get(INTENT)) for e in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentBlend: fewer than two intents to learn; the blend will pass DIET through.")
            self._model = None
        else:
            model = linear_intent_model(float(self.config["C"]), seed=int(self.config["random_seed"]))
            model.fit([str(e.get(TEXT)) for e in examples], labels)
            self._model = model
        with self._model_storage.write_to(self._resource) as folder:
            if self._model is not None:
                joblib.dump(self._model, Path(folder) / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentBlend:
        """Load the trained linear model (or none, when training had fewer than two intents)."""
        model = None
        try:
            with model_storage.read_from(resource) as folder:
                path = Path(folder) / MODEL_FILE
                if path.exists():
                    model = joblib.load(path)
        except ValueError:
            logger.warning("LinearIntentBlend: no trained linear model in the archive; passing DIET through.")
        return cls(config, model_storage, resource, model)

    def linear_ranking(self, text: str) -> list[tuple[str, float]]:
        """Return the linear model's intents for `text`, best first (empty when there is no model)."""
        if self._model is None:
            return []
        probabilities = self._model.predict_proba([text])[0]
        classes = self._model.classes_
        return sorted(((str(n), float(p)) for n, p in zip(classes, probabilities, strict=True)), key=lambda x: -x[1])

    def process(self, messages: list[Message]) -> list[Message]:
        """Replace each message's intent and ranking with the blend; keep both inputs under `intent_blend`."""
        length = int(self.config["ranking_length"])
        alpha = float(self.config["alpha"])
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip() or self._model is None:
                continue
            diet = [
                (str(item.get(INTENT_NAME_KEY)), float(item.get(PREDICTED_CONFIDENCE_KEY) or 0.0))
                for item in (message.get(INTENT_RANKING_KEY) or [])
            ]
            linear = self.linear_ranking(text)[:length]
            ranked = blend_rankings(diet, linear, alpha)[:length]
            if not ranked:
                continue
            ranking = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: round(score, 6)} for name, score in ranked]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set(BLEND_KEY, {"alpha": alpha, "diet": diet, "linear": linear}, add_to_output=True)
        return messages
