"""What the simulated tenants say: a realistic multi-turn SMS conversation, answered by what the assistant asks.

One conversation is four steps in a row: small talk, a repair report through its form (and the offered
appointment), a verified balance request (date of birth as the knowledge check), and a complaint. Each step
opens with a tenant's message and then answers every question it recognises by a keyword, so the script does not
depend on the order in which the assistant asks; the step is over when its `done` pattern (the step's last
message: the appointment booked, the balance, the complaint's reference) appears in a reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Step:
    """One thing a tenant came to do: the opening message, answers by question keyword, and the sign it worked."""

    name: str
    opening: str
    answers: tuple[tuple[re.Pattern[str], str], ...]
    done: re.Pattern[str]


def _answers(*pairs: tuple[str, str]) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(keyword, re.IGNORECASE), answer) for keyword, answer in pairs)


def conversation(date_of_birth: date) -> tuple[Step, ...]:
    """Return the steps of one tenant's conversation; `date_of_birth` answers the knowledge check."""
    dob = date_of_birth.strftime("%d/%m/%Y")
    return (
        Step("small talk", "hiya", _answers(), re.compile(r"what can i do|how can i help", re.IGNORECASE)),
        Step(
            "repair report",
            "the tap in my kitchen is dripping constantly",
            _answers(
                (r"date of birth", dob),
                (r"what is it that needs fixing", "the kitchen tap"),
                (r"where is the", "kitchen"),
                (r"describe the problem", "it drips all day and night since monday"),
                (r"when can someone get in", "weekday mornings"),
                (r"which slot|when can we come", "1"),
            ),
            re.compile(r"\bBooked:|contact you to arrange a time", re.IGNORECASE),
        ),
        Step(
            "balance",
            "how much rent do i owe",
            _answers((r"date of birth", dob)),
            re.compile(r"£"),
        ),
        Step(
            "complaint",
            "i want to make a complaint, your contractor left my kitchen in a mess and never came back",
            _answers(
                (r"date of birth", dob),
                (r"tell me what happened", "the plumber came on monday, ripped out the sink and never came back"),
                (r"put things right", "finish the job this week and clean up"),
            ),
            re.compile(r"\bCMP-\d{6}[A-Z]\b"),
        ),
    )


def answer_for(step: Step, replies: list[str]) -> str | None:
    """Return the answer to the last question among `replies` that `step` recognises, or None."""
    for reply in reversed(replies):
        for keyword, answer in step.answers:
            if keyword.search(reply):
                return answer
    return None


def openings() -> list[str]:
    """Return every tenant message of a conversation (openings and answers), for the stateless baselines."""
    messages: list[str] = []
    for step in conversation(date(1986, 3, 14)):
        messages.append(step.opening)
        messages.extend(answer for _, answer in step.answers)
    return messages
