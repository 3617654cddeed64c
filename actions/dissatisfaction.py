"""Noticing when a tenant is unhappy with the landlord, so they can be offered a complaint.

The Housing Ombudsman's Complaint Handling Code (1.3): a resident need not say "complaint"; whenever they express
dissatisfaction they must be offered the choice to make one. Offering when it turns out not to be needed costs the
tenant one "no thanks"; failing to offer breaks the Code, so the vocabulary leans towards offering.

This is the one place the assistant decides it: every action that listens for dissatisfaction calls
`expresses_dissatisfaction`, and new words belong in the lists below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

# Words that on their own say the tenant is unhappy with the service.
_WORDS = (
    r"disgust(?:ing|ed)",
    r"disgrace(?:ful)?",
    r"appall?(?:ing|ed)",
    r"shocking",
    r"shambles",
    r"diabolical",
    r"atrocious",
    r"outrageous",
    r"pathetic",
    r"useless",
    r"hopeless",
    r"rubbish",
    r"incompetent",
    r"unacceptable",
    r"ridiculous",
    r"furious",
    r"fuming",
    r"livid",
    r"angry",
    r"annoyed",
    r"frustrat(?:ed|ing)",
    r"disappoint(?:ed|ing)",
    r"unhappy",
    r"dissatisfied",
    r"complain(?:t|ts|ing|ed)?",
    r"ombudsman",
    r"ignor(?:ed|ing)",
    r"no[\s-]show",
)

# Phrases: being let down, chasing, waiting, nobody coming.
_PHRASES = (
    r"fed\s+up",
    r"sick\s+(?:of|and\s+tired)",
    r"had\s+enough",
    r"not\s+(?:good\s+enough|happy|satisfied|acceptable)",
    r"let\s+(?:me|us|them|him|her|everyone)\s+down",
    r"(?:been|was|were|feel|felt)\s+let\s+down",
    r"(?:a|an\s+absolute|a\s+complete)\s+joke",
    r"waste\s+of\s+(?:time|space)",
    r"(?:bad|poor|terrible|awful|shocking|appalling|worst)\s+(?:service|job|work|repair|response|communication)",
    r"the\s+worst",
    r"thanks\s+for\s+nothing",
    r"(?:second|third|fourth|fifth|sixth|\d+(?:st|nd|rd|th))\s+time",
    # "reported it 5 times", not "it happens 3 times a week"
    r"(?:reported|rung|rang|called|phoned|asked|chased|emailed|told\s+(?:you|them)|contacted\s+(?:you|them))\s+"
    r"(?:[\w']+\s+){0,3}?"
    r"(?:several|many|countless|so\s+many|loads\s+of|numerous|a\s+few|a\s+dozen|\d+)\s+times",
    r"again\s+and\s+again",
    r"over\s+and\s+over",
    r"(?:keep|kept|still)\s+(?:having\s+to\s+)?(?:chasing|ringing|calling|phoning|reporting|asking|waiting)",
    r"still\s+(?:not|no|nothing|hasn'?t|haven'?t|isn'?t|waiting)",
    r"(?:waiting|waited)\s+(?:for\s+)?(?:weeks|months|ages|years|forever)",
    r"(?:nobody|no\s*-?\s*one|no\s+body)\s+(?:came|come|turned\s+up|showed\s+up|has\s+(?:come|been|called|rung)|"
    r"called|rang|phoned|got\s+back|gets\s+back|listens|cares|bothered|does\s+anything|did\s+anything|has\s+done\s+anything)",
    r"(?:done|did|does|doing)\s+nothing\s+(?:about|to)",
    r"never\s+(?:came|come|turned\s+up|showed\s+up|got\s+back|called|rang|phoned|fixed|sorted|bothered)",
    # not "come" or "care": "please don't come before 10", "the stain won't come off"
    r"(?:didn'?t|did\s+not|don'?t|do\s+not|won'?t|will\s+not)\s+(?:turn\s+up|show\s+up|bother|listen|"
    r"get\s+back|call\s+back|ring\s+back)",
    r"nothing\s+(?:has\s+been|was|gets|got)\s+(?:done|fixed|sorted)",
)

# Things people say that contain the words above but mean the opposite.
_NOT_DISSATISFIED = re.compile(
    r"\b(?:no\s+complaints?|(?:can'?t|cannot|couldn'?t)\s+complain|nothing\s+to\s+complain\s+about|"
    r"not\s+(?:a\s+)?complain(?:t|ing)|never\s+(?:disappoint(?:s|ed|ing)?|let\s+(?:me|us)\s+down)|"
    r"not\s+(?:disappointed|unhappy|angry|annoyed)|didn'?t\s+let\s+(?:me|us)\s+down)\b",
    re.IGNORECASE,
)
_DISSATISFIED = re.compile(r"\b(?:" + "|".join((*_WORDS, *_PHRASES)) + r")\b", re.IGNORECASE)
_STRAIGHT_APOSTROPHE = str.maketrans({"\u2019": "'", "\u2018": "'"})
MAX_MESSAGES_SCANNED = 30


def expresses_dissatisfaction(text: str | None) -> bool:
    """Return True when `text` expresses dissatisfaction with the landlord's service (Code 1.3).

    Args:
        text: Anything the tenant wrote.

    Returns:
        Whether the tenant should be offered the choice to make a complaint.
    """
    if not text:
        return False
    cleaned = _NOT_DISSATISFIED.sub(" ", str(text).translate(_STRAIGHT_APOSTROPHE))
    return bool(_DISSATISFIED.search(cleaned))


def tenant_messages_since(tracker: Tracker, intents: Iterable[str]) -> list[str]:
    """Return the tenant's messages from the latest one with one of `intents` up to now, oldest first.

    A flow (a form and the action that logs it) uses this to look back at everything the tenant said in it,
    including the message that started it. When no message has those intents, only the latest message counts.

    Args:
        tracker: The conversation.
        intents: Intents that start the flow (e.g. report_damp_mould).
    """
    wanted = set(intents)
    texts: list[str] = []
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        texts.append(str(event.get("text") or ""))
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in wanted or len(texts) >= MAX_MESSAGES_SCANNED:
            break
    else:
        texts = texts[:1]
    latest = str((tracker.latest_message or {}).get("text") or "")
    if latest and (not texts or texts[0] != latest):
        texts.insert(0, latest)
    return [text for text in reversed(texts) if text]


def dissatisfied_since(tracker: Tracker, intents: Iterable[str]) -> bool:
    """Return True when any message of the current flow (see `tenant_messages_since`) expresses dissatisfaction."""
    return any(expresses_dissatisfaction(text) for text in tenant_messages_since(tracker, intents))


def offer_complaint(dispatcher: CollectingDispatcher) -> list[EventType]:
    """Offer a complaint (Complaint Handling Code 1.3) and remember the offer for the tenant's yes or no."""
    dispatcher.utter_message(response="utter_offer_complaint")
    return [SlotSet("offer", "complaint")]
