"""Spotting dissatisfaction in what a tenant writes, so they can be offered a complaint.

The Housing Ombudsman's Complaint Handling Code (1.3) says a resident need not use the word "complaint": whenever
they express dissatisfaction they must be offered the choice to make one. Offering costs the tenant one "no", and
missing an offer breaks the Code, so the vocabulary leans towards recall. Keep every phrase here, in one place,
for every flow to share.
"""

from __future__ import annotations

import re

# Phrases are matched on lower-cased text with runs of spaces collapsed; apostrophes are optional because tenants
# often leave them out on phones.
DISSATISFACTION_PHRASES: tuple[str, ...] = (
    r"complain(?:t|ts|ing|ed)?",
    r"disgust(?:ing|ed)",
    r"disgrace(?:ful)?",
    r"fed\s*up",
    r"sick\s+(?:and\s+tired\s+)?of",
    r"had\s+enough",
    r"useless",
    r"pathetic",
    r"incompetent",
    r"unacceptable",
    r"ridiculous",
    r"appalling",
    r"shocking",
    r"terrible",
    r"awful",
    r"rubbish\s+(?:service|landlord|job|response)",
    r"poor\s+service",
    r"not\s+good\s+enough",
    r"(?:a|an\s+absolute|a\s+complete)\s+joke",
    r"let\s+(?:me|us)\s+down",
    r"waste\s+of\s+(?:time|space)",
    r"(?:second|third|fourth|fifth|2nd|3rd|4th|5th|umpteenth)\s+time",
    r"(?:nobody|no\s*one|no-one|noone)\s+(?:came|come|turned\s+up|showed\s+up|has\s+been|ever\s+came|bothered)",
    r"never\s+(?:came|turned\s+up|showed\s+up|fixed|rang\s+back|called\s+back|got\s+back)",
    r"(?:didn'?t|did\s+not)\s+(?:turn|show)\s+up",
    r"no\s*show",
    r"still\s+(?:waiting|not\s+fixed|hasn'?t\s+been\s+fixed|broken)",
    r"(?:weeks|months|ages)\s+(?:and\s+(?:weeks|months)\s+)?(?:of\s+)?waiting",
    r"been\s+waiting\s+(?:for\s+)?(?:weeks|months|ages|forever)",
    r"(?:keep|keeps|kept)\s+(?:being\s+)?ignor(?:ed|ing)",
    r"(?:nobody|no\s*one)\s+(?:listens|cares|gets\s+back)",
    r"not\s+happy\s+with",
    r"unhappy\s+with",
    r"(?:so|really|very)\s+(?:angry|annoyed|frustrated|upset)",
    r"furious",
    r"fuming",
)

_PATTERN = re.compile(r"\b(?:" + "|".join(DISSATISFACTION_PHRASES) + r")\b")


def expresses_dissatisfaction(text: str) -> bool:
    """Return whether a message expresses dissatisfaction with the service (Complaint Handling Code 1.3).

    Args:
        text: The tenant's message as received.

    Returns:
        True when any phrase of `DISSATISFACTION_PHRASES` appears in it.
    """
    if not isinstance(text, str) or not text.strip():
        return False
    normalised = " ".join(text.lower().replace("\u2019", "'").split())
    return bool(_PATTERN.search(normalised))
