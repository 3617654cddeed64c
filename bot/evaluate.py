"""Score the trained model on the held-out test sets that are never trained on.

`tests/nlu/heldout.yml` measures understanding across every intent; `tests/nlu/safety.yml` holds emergencies and
welfare concerns, where anything short of 100% recall is a failure. Scoring follows the taxonomy: for
`out_of_scope` examples a prediction of `nlu_fallback` also counts as correct, and FAQ examples are scored on the
full `faq/<topic>` label the ResponseSelector chose.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
SAFETY_INTENTS = ("report_emergency", "report_concern")


@dataclass
class IntentScore:
    """Precision, recall and F1 of one intent on the test set."""

    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Evaluation:
    """What `tenantline evaluate` reports."""

    model: str
    examples: int
    accuracy: float
    macro_f1: float
    per_intent: list[IntentScore]
    confusions: list[tuple[str, str, int]]
    misclassified: list[dict[str, Any]]
    safety_examples: int = 0
    safety_recall: dict[str, float] = field(default_factory=dict)
    safety_missed: list[dict[str, Any]] = field(default_factory=list)
    seconds_per_message: float = 0.0
    predictions: list[tuple[str, str]] = field(default_factory=list)
    """(expected, predicted) for every held-out example, the prediction normalised as in `score`."""


def load_examples(path: Path) -> list[tuple[str, str]]:
    """Return (text, full intent label) pairs from a Rasa NLU YAML file."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [(str(example.get("text")), str(example.get_full_intent())) for example in data.intent_examples]


def predicted_label(parse: dict[str, Any]) -> str:
    """Return the full label a parse result stands for: the intent, or `faq/<topic>` for FAQ questions."""
    intent = str((parse.get("intent") or {}).get("name") or "")
    if intent == "faq":
        chosen = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
        return str(chosen.get("intent_response_key") or intent)
    return intent


def is_correct(expected: str, predicted: str) -> bool:
    """Return whether a prediction counts as right (out_of_scope accepts the fallback)."""
    return predicted == expected or (expected == OUT_OF_SCOPE and predicted == FALLBACK)


def score(pairs: list[tuple[str, str]]) -> tuple[float, float, list[IntentScore], list[tuple[str, str, int]]]:
    """Return accuracy, macro-F1 over the expected labels, per-intent scores and confusion counts.

    Args:
        pairs: (expected, predicted) labels.

    Returns:
        Accuracy, macro-F1, per-intent scores sorted by F1, and (expected, predicted, count) confusions.
    """
    normalised = [(e, e if is_correct(e, p) else p) for e, p in pairs]
    labels = sorted({e for e, _ in normalised})
    scores = []
    for label in labels:
        tp = sum(1 for e, p in normalised if e == label and p == label)
        fp = sum(1 for e, p in normalised if e != label and p == label)
        fn = sum(1 for e, p in normalised if e == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(IntentScore(label, round(precision, 4), round(recall, 4), round(f1, 4), tp + fn))
    accuracy = sum(1 for e, p in normalised if e == p) / len(normalised) if normalised else 0.0
    macro_f1 = sum(s.f1 for s in scores) / len(scores) if scores else 0.0
    confusions = Counter((e, p) for e, p in normalised if e != p)
    return (
        round(accuracy, 4),
        round(macro_f1, 4),
        sorted(scores, key=lambda s: s.f1),
        [(e, p, n) for (e, p), n in confusions.most_common()],
    )


def quiet_rasa_debug_logs() -> None:
    """Keep Rasa's per-message debug lines out of an evaluation's output.

    Rasa 3.6 logs every parse through structlog, which prints every level until something configures it; Rasa's
    own command line does, an evaluation run outside it does not. A process that has configured structlog is
    left as it is.
    """
    import logging

    import structlog

    if not structlog.is_configured():
        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))


async def _parse_all(model: Path, texts: list[str]) -> tuple[list[dict[str, Any]], float]:
    from rasa.core.agent import Agent

    from bot import rasa_lean_load

    quiet_rasa_debug_logs()
    rasa_lean_load.install()  # load the model as the servers do: for prediction only
    agent = Agent.load(str(model))
    started = time.perf_counter()
    results = [await agent.parse_message(text) for text in texts]
    elapsed = time.perf_counter() - started
    return results, elapsed / max(len(texts), 1)


def evaluate(model: Path, heldout: Path, safety: Path | None = None) -> Evaluation:
    """Parse every test example with `model` and score the predictions.

    Args:
        model: A trained model archive.
        heldout: The held-out test set.
        safety: The safety test set, if it should be scored too.

    Returns:
        The evaluation, including the misclassified examples.
    """
    examples = load_examples(heldout)
    safety_examples = load_examples(safety) if safety else []
    texts = [t for t, _ in examples] + [t for t, _ in safety_examples]
    parses, per_message = asyncio.run(_parse_all(model, texts))
    predicted = [predicted_label(p) for p in parses]
    pairs = [(label, predicted[i]) for i, (_, label) in enumerate(examples)]
    accuracy, macro_f1, per_intent, confusions = score(pairs)
    misclassified = [
        {"text": text, "expected": label, "predicted": predicted[i]}
        for i, (text, label) in enumerate(examples)
        if not is_correct(label, predicted[i])
    ]
    result = Evaluation(
        model=model.name,
        examples=len(examples),
        accuracy=accuracy,
        macro_f1=macro_f1,
        per_intent=per_intent,
        confusions=confusions,
        misclassified=misclassified,
        seconds_per_message=round(per_message, 5),
        predictions=[(e, e if is_correct(e, p) else p) for e, p in pairs],
    )
    offset = len(examples)
    # Safety recall counts every example of a safety intent in both files.
    safety_pairs = [(label, predicted[i]) for i, (_, label) in enumerate(examples) if label in SAFETY_INTENTS]
    safety_pairs += [(label, predicted[offset + i]) for i, (_, label) in enumerate(safety_examples)]
    for intent in SAFETY_INTENTS:
        wanted = [(e, p) for e, p in safety_pairs if e == intent]
        result.safety_recall[intent] = round(sum(1 for e, p in wanted if p == e) / len(wanted), 4) if wanted else 0.0
    result.safety_examples = len(safety_pairs)
    all_texts = [t for t, _ in examples] + [t for t, _ in safety_examples]
    all_labels = [label for _, label in examples] + [label for _, label in safety_examples]
    result.safety_missed = [
        {"text": all_texts[i], "expected": label, "predicted": predicted[i]}
        for i, label in enumerate(all_labels)
        if label in SAFETY_INTENTS and predicted[i] != label
    ]
    return result


def render_markdown(result: Evaluation) -> str:
    """Return the evaluation as a Markdown report a trainer can read."""
    lines = [
        f"# NLU evaluation of {result.model}",
        "",
        f"- held-out examples: {result.examples}",
        f"- accuracy: {result.accuracy:.3f}",
        f"- macro-F1: {result.macro_f1:.3f}",
        f"- safety recall ({result.safety_examples} examples): "
        + ", ".join(f"{k} {v:.3f}" for k, v in result.safety_recall.items()),
        f"- parse time: {result.seconds_per_message * 1000:.1f} ms per message",
        "",
        "## Per intent",
        "",
        "| intent | precision | recall | F1 | examples |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {s.intent} | {s.precision:.2f} | {s.recall:.2f} | {s.f1:.2f} | {s.support} |" for s in result.per_intent
    ]
    lines += ["", "## Most confused pairs", "", "| expected | predicted | count |", "| --- | --- | --- |"]
    lines += [f"| {e} | {p} | {n} |" for e, p, n in result.confusions[:15]]
    lines += ["", "## Misclassified", ""]
    lines += [f"- `{m['text']}`: expected {m['expected']}, got {m['predicted']}" for m in result.misclassified]
    if result.safety_missed:
        lines += ["", "## MISSED SAFETY MESSAGES", ""]
        lines += [f"- `{m['text']}`: expected {m['expected']}, got {m['predicted']}" for m in result.safety_missed]
    return "\n".join(lines) + "\n"


def write_report(result: Evaluation, out_dir: Path) -> tuple[Path, Path]:
    """Write the evaluation as JSON and Markdown into `out_dir`; return both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "nlu-evaluation.json"
    md_path = out_dir / "nlu-evaluation.md"
    json_path.write_text(json.dumps(asdict(result), indent=2), encoding="utf-8")
    md_path.write_text(render_markdown(result), encoding="utf-8")
    return json_path, md_path
