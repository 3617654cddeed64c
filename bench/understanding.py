"""Understanding, three systems on the same held-out files: TenantLine, Rasa's default pipeline, TF-IDF + LR.

Both Rasa models are loaded and asked to parse every example one at a time, as messages arrive, and scored with
`bot.evaluate`'s rules (TenantLine's safety layer is part of its pipeline, so it counts). An FAQ question is
scored on the topic the ResponseSelector chose, whichever key the selector answers under: TenantLine's is
trained for `faq` and answers under that name, Rasa's default one is trained for every retrieval intent and
answers under `default` (scoring only `faq/...` labels from the first would mark every FAQ answer of the default
pipeline wrong). The scikit-learn baseline is a word (1-2) and character (2-5, within word boundaries) TF-IDF logistic
regression trained on the same NLU data, FAQ examples labelled with their `faq/<topic>`; it has no fallback, so
out-of-scope counts only when it predicts `out_of_scope` itself. Its predictions are scored with the same rules.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.evaluate import OUT_OF_SCOPE, SAFETY_INTENTS, Evaluation, IntentScore, is_correct, load_examples, score
from bot.settings import PROJECT_ROOT

HELDOUT = PROJECT_ROOT / "tests" / "nlu" / "heldout.yml"
SAFETY = PROJECT_ROOT / "tests" / "nlu" / "safety.yml"
TRAINING = PROJECT_ROOT / "data" / "nlu"
TFIDF_NAME = "TF-IDF word+char n-grams, logistic regression"
RESPONSE_SELECTOR_DEFAULT = "default"
"""Where Rasa's ResponseSelector answers when it was trained for all retrieval intents (no `retrieval_intent`)."""


@dataclass(frozen=True)
class SystemScore:
    """What the report shows for one system."""

    system: str
    accuracy: float
    macro_f1: float
    per_intent: dict[str, float]
    emergency_recall: float
    concern_recall: float
    out_of_scope_recall: float
    parse_ms: float
    safety_examples: int
    examples: int


def summarise_evaluation(system: str, evaluation: Evaluation) -> SystemScore:
    """Return the report's figures from an evaluation."""
    per_intent = {s.intent: s.f1 for s in evaluation.per_intent}
    oos = next((s for s in evaluation.per_intent if s.intent == OUT_OF_SCOPE), None)
    return SystemScore(
        system=system,
        accuracy=evaluation.accuracy,
        macro_f1=evaluation.macro_f1,
        per_intent=per_intent,
        emergency_recall=evaluation.safety_recall.get(SAFETY_INTENTS[0], 0.0),
        concern_recall=evaluation.safety_recall.get(SAFETY_INTENTS[1], 0.0),
        out_of_scope_recall=oos.recall if oos else 0.0,
        parse_ms=round(evaluation.seconds_per_message * 1000, 2),
        safety_examples=evaluation.safety_examples,
        examples=evaluation.examples,
    )


def score_predictions(
    name: str,
    examples: list[tuple[str, str]],
    safety_examples: list[tuple[str, str]],
    predicted: list[str],
    seconds_per_message: float,
) -> Evaluation:
    """Score predictions (held-out first, then safety) with `bot.evaluate`'s rules.

    Raises:
        ValueError: If there is not one prediction per example.
    """
    if len(predicted) != len(examples) + len(safety_examples):
        raise ValueError(f"{len(predicted)} predictions for {len(examples) + len(safety_examples)} examples")
    pairs = [(label, predicted[i]) for i, (_, label) in enumerate(examples)]
    accuracy, macro_f1, per_intent, confusions = score(pairs)
    result = Evaluation(
        model=name,
        examples=len(examples),
        accuracy=accuracy,
        macro_f1=macro_f1,
        per_intent=per_intent,
        confusions=confusions,
        misclassified=[
            {"text": t, "expected": e, "predicted": p}
            for (t, e), p in zip(examples, predicted[: len(examples)], strict=True)
            if not is_correct(e, p)
        ],
        seconds_per_message=round(seconds_per_message, 5),
    )
    labelled = examples + safety_examples
    for intent in SAFETY_INTENTS:
        wanted = [p for (_, e), p in zip(labelled, predicted, strict=True) if e == intent]
        result.safety_recall[intent] = round(sum(p == intent for p in wanted) / len(wanted), 4) if wanted else 0.0
    result.safety_examples = sum(1 for _, e in labelled if e in SAFETY_INTENTS)
    return result


def tfidf_evaluation(training: Path = TRAINING, heldout: Path = HELDOUT, safety: Path = SAFETY) -> Evaluation:
    """Train the TF-IDF logistic regression on `training` and score it on the held-out and safety files."""
    from bot.nlp.blend import linear_intent_model

    train = load_examples(training)
    model = linear_intent_model(10.0, max_iter=2000)
    model.fit([t for t, _ in train], [label for _, label in train])
    examples, safety_examples = load_examples(heldout), load_examples(safety)
    texts = [t for t, _ in examples] + [t for t, _ in safety_examples]
    started = time.perf_counter()
    predicted = [str(model.predict([text])[0]) for text in texts]  # one at a time, as messages arrive
    per_message = (time.perf_counter() - started) / max(len(texts), 1)
    return score_predictions(TFIDF_NAME, examples, safety_examples, predicted, per_message)


def rasa_label(parse: dict[str, Any]) -> str:
    """Return the full label of a Rasa parse: the intent, or `<retrieval intent>/<topic>` for an FAQ question.

    The ResponseSelector's answer is read under the retrieval intent's own name, or under `default` when the
    selector was trained for all retrieval intents at once (Rasa's default configuration).
    """
    intent = str((parse.get("intent") or {}).get("name") or "")
    selectors = parse.get("response_selector") or {}
    if not isinstance(selectors, dict) or intent not in (selectors.get("all_retrieval_intents") or []):
        return intent
    chosen = selectors.get(intent) or selectors.get(RESPONSE_SELECTOR_DEFAULT) or {}
    key = ((chosen.get("response") or {}) if isinstance(chosen, dict) else {}).get("intent_response_key")
    return str(key) if key else intent


async def _parse_all(model: Path, texts: list[str]) -> tuple[list[dict[str, Any]], float]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    started = time.perf_counter()
    parses = [await agent.parse_message(text) for text in texts]  # one at a time, as messages arrive
    return parses, (time.perf_counter() - started) / max(len(texts), 1)


def rasa_evaluation(model: Path, heldout: Path = HELDOUT, safety: Path = SAFETY) -> Evaluation:
    """Score a trained Rasa model on the held-out and safety files."""
    examples, safety_examples = load_examples(heldout), load_examples(safety)
    texts = [t for t, _ in examples] + [t for t, _ in safety_examples]
    parses, per_message = asyncio.run(_parse_all(model, texts))
    return score_predictions(model.name, examples, safety_examples, [rasa_label(p) for p in parses], per_message)


__all__ = [
    "IntentScore",
    "SystemScore",
    "rasa_evaluation",
    "rasa_label",
    "score_predictions",
    "summarise_evaluation",
]
