"""The gate a new model passes before it goes live.

The rule (issue 6): held-out macro-F1 may be at most 1 point (0.01) below the live model's, and recall on the safety
test set (emergencies and welfare concerns, in both test files) must stay at 100%. The verdict says why in plain
words, so a trainer who is not a programmer knows what to fix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.evaluate import SAFETY_INTENTS
from bot.model_ops.registry import now_iso, read_json, write_json_atomic

MAX_MACRO_F1_DROP = 0.01
"""One point of macro-F1 on the 0-1 scale."""

INTENT_WORDS = {"report_emergency": "an emergency", "report_concern": "a welfare concern"}


class ReportUnreadable(Exception):
    """Raised when an evaluation report is missing or is not one `bot.evaluate` wrote."""


@dataclass
class Check:
    """One part of the rule, its outcome and the explanation shown to the trainer."""

    name: str
    passed: bool
    explanation: str


@dataclass
class Verdict:
    """Whether a candidate may go live, and why."""

    candidate: str
    live: str | None
    passed: bool
    checks: list[Check] = field(default_factory=list)
    decided_at: str = ""

    @property
    def reasons(self) -> list[str]:
        """Return the explanations of the failed checks (empty when the gate passed)."""
        return [check.explanation for check in self.checks if not check.passed]

    def summary(self) -> str:
        """Return one line: accepted, or refused with the reasons."""
        if self.passed:
            return f"{self.candidate} may go live."
        return f"{self.candidate} may not go live: " + " ".join(self.reasons)


def load_report(path: Path) -> dict[str, Any]:
    """Return an evaluation report written by `bot.evaluate.write_report`.

    Raises:
        ReportUnreadable: If the file is missing, not JSON, or lacks the scores the gate needs.
    """
    data = read_json(path)
    if not isinstance(data, dict):
        raise ReportUnreadable(f"{path.name} is missing or is not an evaluation report")
    try:
        float(data["macro_f1"])
        recall = data["safety_recall"]
        missed = data["safety_missed"]
        int(data["safety_examples"])
    except (KeyError, TypeError, ValueError) as error:
        raise ReportUnreadable(f"{path.name} is not an evaluation report (no {error})") from error
    if not isinstance(recall, dict) or not isinstance(missed, list):
        raise ReportUnreadable(f"{path.name} is not an evaluation report (bad safety scores)")
    return data


def _points(value: float) -> str:
    return f"{value * 100:.1f}"


def _macro_f1_check(candidate: dict[str, Any], live: dict[str, Any] | None) -> Check:
    score = float(candidate["macro_f1"])
    if live is None:
        return Check(
            "macro_f1",
            True,
            f"Macro-F1 on the held-out messages is {_points(score)}. There is no live model to compare it with.",
        )
    baseline = float(live["macro_f1"])
    difference = score - baseline
    # Scores are rounded to 4 places in the reports; compare in the same units so 0.01 exactly passes.
    passed = round(difference, 4) >= -MAX_MACRO_F1_DROP
    if difference >= 0:
        relation = f"{_points(difference)} points above" if difference > 0 else "the same as"
    else:
        relation = f"{_points(-difference)} points below"
    text = f"Macro-F1 on the held-out messages is {_points(score)}, {relation} the live model's {_points(baseline)}."
    if not passed:
        text += " A new model may be at most 1 point below the live one."
    return Check("macro_f1", passed, text)


def _safety_check(candidate: dict[str, Any]) -> Check:
    examples = int(candidate["safety_examples"])
    missed = [m for m in candidate["safety_missed"] if isinstance(m, dict)]
    if examples == 0:
        return Check("safety_recall", False, "No safety messages were tested, so safety recall is unknown.")
    recall = candidate["safety_recall"]
    short = [intent for intent in SAFETY_INTENTS if float(recall.get(intent, 0.0)) < 1.0]
    if not missed and not short:
        return Check(
            "safety_recall", True, f"All {examples} safety messages (emergencies and welfare concerns) were caught."
        )
    count = max(len(missed), 1)
    shown = "; ".join(
        f"\u201c{m.get('text', '')}\u201d was read as {m.get('predicted', '?')}, "
        f"not as {INTENT_WORDS.get(str(m.get('expected')), m.get('expected'))}"
        for m in missed[:3]
    )
    text = (
        f"It missed {count} of {examples} safety messages (emergencies and welfare concerns); every one must be caught."
    )
    if shown:
        text += f" For example: {shown}."
    return Check("safety_recall", False, text)


def decide(
    candidate: dict[str, Any], live: dict[str, Any] | None, *, candidate_name: str, live_name: str | None
) -> Verdict:
    """Apply the gate to a candidate's evaluation and the live model's.

    Args:
        candidate: The candidate's evaluation report (as loaded by `load_report`).
        live: The live model's report, or None when no model is live yet.
        candidate_name: The candidate's model name, for the verdict.
        live_name: The live model's name, if any.

    Returns:
        The verdict with every check explained.
    """
    checks = [_macro_f1_check(candidate, live), _safety_check(candidate)]
    return Verdict(
        candidate=candidate_name,
        live=live_name,
        passed=all(check.passed for check in checks),
        checks=checks,
        decided_at=now_iso(),
    )


def write_verdict(verdict: Verdict, path: Path) -> None:
    """Store a verdict as JSON next to the model."""
    write_json_atomic(path, asdict(verdict))


def read_verdict(path: Path) -> Verdict | None:
    """Return a stored verdict, or None when there is none (or it is damaged)."""
    data = read_json(path)
    if not isinstance(data, dict):
        return None
    try:
        checks = [Check(str(c["name"]), bool(c["passed"]), str(c["explanation"])) for c in data["checks"]]
        return Verdict(
            candidate=str(data["candidate"]),
            live=data.get("live"),
            passed=bool(data["passed"]),
            checks=checks,
            decided_at=str(data.get("decided_at", "")),
        )
    except (KeyError, TypeError):
        return None
