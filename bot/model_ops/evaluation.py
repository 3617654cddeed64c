"""Evaluate a registered model on the held-out and safety test sets and store the files next to it.

The scoring is `bot.evaluate` (the same numbers as `tenantline evaluate`); this module adds the pictures and keeps
one set of files per model: `evaluation/nlu-evaluation.json`, `.md`, `confusion-matrix.png`, `per-intent.png`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.evaluate import Evaluation, IntentScore, write_report
from bot.evaluate import evaluate as score_model
from bot.model_ops.plots import CONFUSION_PNG, PER_INTENT_PNG, plot_confusion, plot_per_intent
from bot.model_ops.registry import ModelRecord, read_json

HELDOUT = Path("tests") / "nlu" / "heldout.yml"
SAFETY = Path("tests") / "nlu" / "safety.yml"
PLOTS = (CONFUSION_PNG, PER_INTENT_PNG)


@dataclass(frozen=True)
class EvaluationSets:
    """The files a model is scored on."""

    heldout: Path
    safety: Path

    @classmethod
    def of(cls, root: Path) -> EvaluationSets:
        """Return the project's test sets under `root`."""
        return cls(heldout=root / HELDOUT, safety=root / SAFETY)


def write_plots(result: Evaluation, folder: Path) -> list[Path]:
    """Draw the confusion matrix and the per-intent scores of `result` into `folder`; return the files drawn.

    An evaluation without examples (an empty test set) has nothing to draw and gets no plots.
    """
    title = f"{result.model}: accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f}"
    drawn = []
    if result.predictions:
        drawn.append(plot_confusion(result.predictions, folder / CONFUSION_PNG, title=title))
    if result.per_intent:
        drawn.append(plot_per_intent(result.per_intent, folder / PER_INTENT_PNG, title=title))
    return drawn


def evaluate_record(record: ModelRecord, tests: EvaluationSets) -> Evaluation:
    """Score a registered model and write its JSON, Markdown and PNG files into its evaluation folder.

    Args:
        record: The model.
        tests: The held-out and safety test sets.

    Returns:
        The evaluation.
    """
    result = score_model(record.archive, tests.heldout, tests.safety)
    write_report(result, record.evaluation_dir)
    write_plots(result, record.evaluation_dir)
    return result


def stored_report(record: ModelRecord) -> dict[str, Any] | None:
    """Return the model's stored evaluation report, or None when it has not been evaluated."""
    data = read_json(record.evaluation_json)
    return data if isinstance(data, dict) else None


def intent_scores(report: dict[str, Any]) -> list[IntentScore]:
    """Return the per-intent scores of a stored report (skipping malformed rows)."""
    scores = []
    for row in report.get("per_intent") or []:
        try:
            scores.append(
                IntentScore(
                    str(row["intent"]),
                    float(row["precision"]),
                    float(row["recall"]),
                    float(row["f1"]),
                    int(row["support"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return scores
