"""Opt-out keywords on SMS and WhatsApp: STOP and its synonyms, START to opt back in, HELP for who we are.

A keyword counts only when it is the whole message (ignoring case, spaces and a final full stop or exclamation
mark): "stop" opts out, "please stop the leak" is a repair report. CANCEL and END, which Twilio's default list
also treats as opt-outs, are left out on purpose: tenants use them in conversation ("cancel" a visit), and an
opt-out they did not mean would silence their repair updates. A landlord whose Twilio number keeps Twilio's
default opt-out handling should remove those two words from it, so both sides agree.
"""

from __future__ import annotations

import re
from enum import Enum


class Keyword(str, Enum):
    """What a keyword message asks for."""

    STOP = "stop"
    START = "start"
    HELP = "help"


STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "quit", "optout", "opt out", "revoke"})
START_WORDS = frozenset({"start", "unstop", "subscribe", "optin", "opt in"})
HELP_WORDS = frozenset({"help"})

_TRIM = re.compile(r"[\s.!]+$")
_SPACES = re.compile(r"\s+")


def classify(text: str | None) -> Keyword | None:
    """Return the keyword a whole message consists of, or None for any other message.

    Args:
        text: The tenant's message as received.

    Returns:
        STOP, START or HELP, or None.
    """
    word = _SPACES.sub(" ", _TRIM.sub("", (text or "").strip())).lower()
    if word in STOP_WORDS:
        return Keyword.STOP
    if word in START_WORDS:
        return Keyword.START
    if word in HELP_WORDS:
        return Keyword.HELP
    return None
