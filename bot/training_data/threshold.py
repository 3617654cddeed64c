"""Choose the inbox's confidence threshold from evidence: where do the model's wrong answers sit?

The model is run on the held-out test set (never trained on). For each candidate threshold the report gives the share
of wrong predictions whose confidence falls below it (what the inbox would catch) and the share of all messages below
it (how much the trainers would have to read). A good threshold catches most mistakes while sending trainers a
manageable fraction of traffic.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.training_data.inbox import read_parse

CANDIDATES = (0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9)


@dataclass(frozen=True)
class Row:
    """What one threshold would do on the held-out set."""

    threshold: float
    wrong_caught: float
    flagged: float


@dataclass(frozen=True)
class Report:
    """Confidence of right and wrong predictions on the held-out set, and each candidate threshold's effect."""

    examples: int
    wrong: int
    wrong_confidences: list[float]
    right_confidences: list[float]
    rows: list[Row]


def build_report(pairs: list[tuple[bool, float, bool]]) -> Report:
    """Return the report for (correct, confidence, fell back) triples; a fallback always counts as flagged."""
    wrong = [(confidence, fell) for correct, confidence, fell in pairs if not correct]
    rows = []
    for threshold in CANDIDATES:
        caught = sum(1 for confidence, fell in wrong if fell or confidence < threshold)
        flagged = sum(1 for _, confidence, fell in pairs if fell or confidence < threshold)
        rows.append(Row(threshold, caught / len(wrong) if wrong else 1.0, flagged / len(pairs) if pairs else 0.0))
    return Report(
        examples=len(pairs),
        wrong=len(wrong),
        wrong_confidences=sorted(confidence for confidence, _ in wrong),
        right_confidences=sorted(confidence for correct, confidence, _ in pairs if correct),
        rows=rows,
    )


def measure(model: Path, heldout: Path) -> Report:
    """Parse the held-out set with `model` and return the threshold report."""
    from bot.evaluate import _parse_all, is_correct, load_examples, predicted_label

    examples = load_examples(heldout)
    parses, _seconds = asyncio.run(_parse_all(model, [text for text, _ in examples]))
    pairs = []
    for (_text, expected), parse in zip(examples, parses, strict=True):
        guess = read_parse(parse)
        pairs.append((is_correct(expected, predicted_label(parse)), guess.confidence or 0.0, guess.fell_back))
    return build_report(pairs)


def render(report: Report) -> str:
    """Return the report as a Markdown table."""
    lines = [
        f"{report.examples} held-out messages, {report.wrong} predicted wrongly.",
        "",
        "| threshold | wrong predictions caught | messages sent to the inbox |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {row.threshold:.2f} | {row.wrong_caught:.0%} | {row.flagged:.0%} |" for row in report.rows]
    wrong = ", ".join(f"{value:.2f}" for value in report.wrong_confidences)
    lines += ["", f"Confidence of the wrong predictions: {wrong or 'none'}"]
    return "\n".join(lines) + "\n"
