"""Remove personal data from a tenant's message before it is kept for trainers to read.

Each kind of personal data becomes a visible placeholder (`<phone>`, `<email>`, `<postcode>`, `<tenancy ref>`,
`<address>`, `<name>`), so a trainer still sees what the tenant was doing ("my number is <phone>") without seeing
who they are. Card numbers are masked the way every stored answer is (`mask_card_numbers`: last four digits kept).

Detection is deliberately eager: a string shaped like a postcode or phone number is removed even if it was something
else, because a false alarm costs a trainer a moment and a miss leaks someone's details. Names can only be found
where the message says it is a name (a title, "my name is", a sign-off); a bare first name in lower case is not
detectable without a list of everyone's names, and is left.

When a redacted example is filed as training data, `fill_placeholders` puts back made-up values of the same shape
(Ofcom's drama phone range, example.com), marking postcodes and tenancy references as the entities they are, so the
model learns from natural text rather than from the placeholders.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.housing.errors import InvalidPhoneNumber
from bot.housing.validation import (
    POSTCODE_IN_TEXT,
    TENANCY_REFERENCE_IN_TEXT,
    mask_card_numbers,
    normalise_phone,
)

PLACEHOLDERS = {
    "email": "<email>",
    "tenancy_reference": "<tenancy ref>",
    "postcode": "<postcode>",
    "phone": "<phone>",
    "address": "<address>",
    "name": "<name>",
}
"""The placeholder each kind of personal data becomes."""

CARD = "card"

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# UK numbers: +44 / 0044 / a leading 0, then ten (mobiles) or nine-ten (landlines) digits in any grouping.
_UK_PHONE = re.compile(r"(?:\+\s?44\s?(?:\(0\))?|0044\s?|(?<![\w+])0)(?:[\s.()/-]{0,2}\d){9,10}(?!\d)")
_INTERNATIONAL_PHONE = re.compile(r"(?:\+|(?<!\d)00)[1-9](?:[\s.()-]{0,2}\d){6,13}(?!\d)")
_STREET_WORDS = (
    "road|rd|street|st|avenue|ave|lane|ln|close|court|ct|drive|dr|way|grove|crescent|terrace|place|gardens|walk|"
    "hill|row|view|square|mews|rise|parade|green|park|house|tower|towers|flats"
)
_ADDRESS = re.compile(
    rf"\b(?:flat\s+\d+[a-z]?,?\s+)?\d{{1,4}}[a-z]?,?\s+(?:[a-z][\w'-]+\s+){{1,2}}(?:{_STREET_WORDS})\b", re.IGNORECASE
)
_NAME_WORD = r"[A-Z][a-z'’-]+"
_TITLED = re.compile(
    r"\b(?i:mr|mrs|ms|miss|mx|dr)\.?\s+(?:[A-Za-z]\.\s*)?(?:[A-Z][a-z'’-]+(?:-[A-Z][a-z'’-]+)?|[a-z][a-z'’-]+)"
    rf"(?:\s{_NAME_WORD})?"
)
_SAID_NAME = re.compile(
    r"\b(?i:my\s+name\s+is|my\s+name'?s|name'?s|i'?m\s+called|i\s+am\s+called)\s+"
    r"([A-Za-z][a-z'’-]+(?:\s[A-Za-z][a-z'’-]+)?)"
)
_INTRODUCED = re.compile(rf"\b(?i:this\s+is|it'?s|i'?m|i\s+am|call\s+me)\s+({_NAME_WORD}(?:\s{_NAME_WORD})?)")
# "hi its sandra at no 14": after a greeting, "it's <word> at/from/here" introduces the sender even in lower case.
_GREETED = re.compile(
    r"\b(?i:hi|hiya|hello|hey|morning|afternoon|evening)\W+(?i:it'?s|this\s+is|i'?m)\s+([a-z][a-z'’-]+)"
    r"(?=\s*,|\s+(?i:at|from|here|in|on|of)\b)"
)
_SIGN_OFF = re.compile(
    r"\b(?i:kind\s+regards|best\s+regards|regards|best\s+wishes|many\s+thanks|thanks|thank\s+you|cheers|"
    r"yours\s+sincerely|yours\s+faithfully|sincerely|love|from)[,.!]?\s+"
    rf"((?:[A-Z]\.\s*)?{_NAME_WORD}(?:\s(?:[A-Z]\.\s*)?{_NAME_WORD}){{0,2}})\s*[.!]*\s*$"
)
_NOT_NAMES = frozenset(
    """
    i a an the my our your his her their this that it its not just so very really still now here there
    ok okay yes no sorry please hello hi hey dear sir madam team all everyone urgent help
    monday tuesday wednesday thursday friday saturday sunday today tomorrow tonight
    january february march april may june july august september october november december
    and or but from at in on of to for with by im am is was be been live living tenant calling back later asap
    me cold hot freezing boiling broken leaking flooded desperate
    english british disabled pregnant elderly deaf blind worried scared stuck unable going having trying
    """.split()  # noqa: SIM905 - a word list is easier to read and extend as words
)


@dataclass(frozen=True)
class Redaction:
    """A message with its personal data removed, and which kinds were found."""

    text: str
    kinds: tuple[str, ...]


def _valid_phone(candidate: str) -> bool:
    try:
        normalise_phone(candidate)
    except InvalidPhoneNumber:
        return False
    return True


def _replace(pattern: re.Pattern[str], text: str, placeholder: str, accept: Callable[[str], bool]) -> tuple[str, int]:
    count = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal count
        if not accept(match.group(0)):
            return match.group(0)
        count += 1
        return placeholder

    return pattern.sub(swap, text), count


def _replace_group(pattern: re.Pattern[str], text: str, placeholder: str) -> tuple[str, int]:
    """Replace group 1 of each match whose words are not ordinary words that happen to follow "it's", "I'm"..."""
    count = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal count
        words = match.group(1).split()
        if words[0].lower().strip(".") in _NOT_NAMES:
            return match.group(0)
        kept = 1 if len(words) > 1 and words[1].lower() in _NOT_NAMES else len(words)
        count += 1
        start = match.start(1)
        end = start + len(" ".join(words[:kept]))
        offset = match.start(0)
        whole = match.group(0)
        return whole[: start - offset] + placeholder + whole[end - offset :]

    return pattern.sub(swap, text), count


def _always(_text: str) -> bool:
    return True


def redact(text: str) -> Redaction:
    """Return `text` with its personal data replaced by placeholders (card numbers masked).

    Phone numbers, emails, postcodes, tenancy references, addresses and names are replaced.

    Args:
        text: What the tenant wrote (any Unicode; nothing is assumed about its shape).

    Returns:
        The redacted text and the kinds of personal data found, in a fixed order.
    """
    found: list[str] = []
    value = str(text or "")
    masked = mask_card_numbers(value)
    if masked != value:
        found.append(CARD)
    value = masked
    steps: list[tuple[str, re.Pattern[str], Callable[[str], bool]]] = [
        ("email", _EMAIL, _always),
        ("tenancy_reference", TENANCY_REFERENCE_IN_TEXT, _always),
        ("phone", _UK_PHONE, _valid_phone),
        ("phone", _INTERNATIONAL_PHONE, _valid_phone),
        ("address", _ADDRESS, _always),
        ("postcode", POSTCODE_IN_TEXT, _always),
    ]
    for kind, pattern, accept in steps:
        value, count = _replace(pattern, value, PLACEHOLDERS[kind], accept)
        if count and kind not in found:
            found.append(kind)
    value, titled = _replace(_TITLED, value, PLACEHOLDERS["name"], _always)
    names = titled
    for pattern in (_SAID_NAME, _INTRODUCED, _GREETED, _SIGN_OFF):
        value, count = _replace_group(pattern, value, PLACEHOLDERS["name"])
        names += count
    if names:
        found.append("name")
    return Redaction(text=value, kinds=tuple(found))


_STAND_INS: dict[str, tuple[str, ...]] = {
    "email": ("tenant@example.com", "me@example.com", "jo.bloggs@example.com"),
    "tenancy_reference": ("[TN500112](tenancy_reference)", "[TN733901](tenancy_reference)"),
    "postcode": ("[YO1 7HH](postcode)", "[NE1 4ST](postcode)", "[WF1 2QS](postcode)"),
    "phone": ("07700 900456", "07700900981", "+44 7700 900317"),
    "address": ("3 Elm Close", "27 Mill Lane", "Flat 6, 41 Station Road"),
    "name": ("Sam", "Alex Morgan", "Jo"),
}


def fill_placeholders(text: str) -> str:
    """Return redacted text with made-up values in place of its placeholders, ready to be a training example.

    The values are picked from the text's own digest, so the same message always gets the same values.
    """
    digest = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)
    for position, (kind, placeholder) in enumerate(PLACEHOLDERS.items()):
        options = _STAND_INS[kind]
        text = text.replace(placeholder, options[(digest + position) % len(options)])
    return text
