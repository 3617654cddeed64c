"""Check the whole of the NLU training data and explain each problem in words a trainer understands.

Three kinds of problem stop a model from learning what the trainers meant:
- the same words are an example of two intents (the model is told two answers for one message), or twice of one;
- an intent has too few examples to be learnt reliably: at least 30 each, and at least 60 for the intents where a
  mistake costs most (repairs, emergencies, damp and mould, rent, arrears, complaints, anti-social behaviour and
  welfare concerns — the intents the held-out test set weighs most heavily, 15 test messages each);
- entity markup that is broken or names an entity the assistant does not have.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.training_data.markup import normalised, parse
from bot.training_data.nlu_files import NluData

MINIMUM_EXAMPLES = 30
HIGH_STAKES_MINIMUM = 60
HIGH_STAKES_INTENTS = frozenset(
    {
        "report_repair",
        "report_emergency",
        "report_damp_mould",
        "ask_rent_balance",
        "pay_rent",
        "rent_arrears_help",
        "make_complaint",
        "report_antisocial_behaviour",
        "report_concern",
    }
)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the training data, in plain words."""

    intent: str
    message: str
    path: Path | None = None
    example: str | None = None


def minimum_for(intent: str) -> int:
    """Return how many examples `intent` needs."""
    return HIGH_STAKES_MINIMUM if intent in HIGH_STAKES_INTENTS else MINIMUM_EXAMPLES


def check(data: NluData) -> list[Problem]:
    """Return every problem in the training data, grouped by intent (an empty list means it is fine)."""
    problems: list[Problem] = []
    known = data.known_entities()
    examples = data.examples()
    owners: dict[str, list[tuple[str, str, Path]]] = {}
    for intent, entries in examples.items():
        needed = minimum_for(intent)
        if len(entries) < needed:
            problems.append(
                Problem(
                    intent,
                    f"{intent} has {len(entries)} examples; it needs at least {needed} to be learnt reliably. "
                    f"Add {needed - len(entries)} more, in the words tenants really use.",
                    entries[0].path if entries else None,
                )
            )
        for example in entries:
            parsed = parse(example.text, known)
            for problem in parsed.problems:
                problems.append(
                    Problem(
                        intent, f"The example {example.text!r} cannot be used: {problem}.", example.path, example.text
                    )
                )
            owners.setdefault(normalised(parsed.plain), []).append((intent, example.text, example.path))
    for holders in owners.values():
        if len(holders) < 2:
            continue
        intents = sorted({intent for intent, _, _ in holders})
        first_intent, first_text, first_path = holders[0]
        for intent, text, path in holders[1:]:
            if len(intents) > 1 and intent != first_intent:
                message = (
                    f"{text!r} ({intent}, {path.name}) says the same as {first_text!r} ({first_intent}, "
                    f"{first_path.name}): one message cannot teach two intents. Keep it in one of them."
                )
            else:
                message = f"{text!r} is in {intent} twice ({path.name}); remove one of them."
            problems.append(Problem(intent, message, path, text))
    return sorted(problems, key=lambda item: (item.intent, item.message))
