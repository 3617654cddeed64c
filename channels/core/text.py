"""Outgoing text shaping: split at sentence boundaries within a channel's limit, and keep SMS in GSM-7.

An SMS segment holds 160 GSM-7 characters but only 70 once a single character outside GSM-7 appears, so a curly
apostrophe typed by a copywriter would double what a reply costs. `to_gsm7` swaps such look-alikes for their
GSM-7 equivalents and leaves everything else (emoji, accented letters outside GSM-7) alone: changing those would
change the meaning, and a few extra segments are the lesser harm.
"""

from __future__ import annotations

import re

SMS_LIMIT = 1600
"""Twilio concatenates an SMS of up to 1,600 characters."""
WHATSAPP_LIMIT = 1600
"""Twilio accepts WhatsApp bodies of up to 1,600 characters."""
TELEGRAM_LIMIT = 4096
"""Telegram's limit on one message's text."""

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
"""Characters GSM-7 sends with an escape, so each counts twice towards a segment."""

_GSM7_EQUIVALENTS = {
    "\u2018": "'",  # left single quotation mark
    "\u2019": "'",  # right single quotation mark (the usual apostrophe from word processors)
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2015": "-",
    "\u2212": "-",  # minus sign
    "\u2026": "...",
    "\u00a0": " ",  # no-break space
    "\u2002": " ",
    "\u2003": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u202f": " ",
    "\u200b": "",  # zero-width space
    "\u2022": "-",  # bullet
    "\u00b7": "-",
    "\u2023": "-",
    "\u2043": "-",
    "\u00d7": "x",
    "\u2192": "->",
    "\u00e7": "Ç",  # GSM-7 has only the capital C cedilla
    "\u00e1": "a",
    "\u00ed": "i",
    "\u00f3": "o",
    "\u00fa": "u",
    "\u00e2": "a",
    "\u00ea": "e",
    "\u00ee": "i",
    "\u00f4": "o",
    "\u00fb": "u",
    "\u00eb": "e",
    "\u00ef": "i",
}
_GSM7_TABLE = str.maketrans(_GSM7_EQUIVALENTS)

# A sentence ends at . ! or ? (optionally closed by a quote or bracket) followed by white space; a paragraph
# break always ends one.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n\s*\n")
_SEGMENT_GSM7 = (160, 153)
_SEGMENT_UCS2 = (70, 67)


def to_gsm7(text: str) -> str:
    """Replace typographic characters that have a GSM-7 equivalent (curly quotes, dashes, ellipsis...).

    Args:
        text: The text to send by SMS.

    Returns:
        The text with look-alikes swapped; characters with no equivalent (emoji) are kept.
    """
    return text.translate(_GSM7_TABLE)


def is_gsm7(text: str) -> bool:
    """Return whether every character of `text` can be sent in the GSM-7 alphabet."""
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def sms_segments(text: str) -> int:
    """Return how many SMS segments `text` takes (0 for empty text).

    GSM-7 text fits 160 characters in one segment and 153 per segment once concatenated; any other character
    forces UCS-2, with 70 and 67. Extension characters (such as the euro sign) count twice in GSM-7.
    """
    if not text:
        return 0
    if is_gsm7(text):
        length = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        single, multi = _SEGMENT_GSM7
    else:
        # Characters outside the Basic Multilingual Plane (most emoji) take two UCS-2 code units.
        length = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
        single, multi = _SEGMENT_UCS2
    if length <= single:
        return 1
    return -(-length // multi)


def _hard_split(piece: str, limit: int) -> list[str]:
    """Split a piece with no sentence boundary, preferring the last space before the limit."""
    parts: list[str] = []
    rest = piece
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit + 1)
        if cut <= limit // 2:
            cut = limit  # no usable space: a very long word or URL is cut where it must be
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into messages of at most `limit` characters, breaking between sentences where possible.

    Sentences stay whole and in order; a message is filled with as many as fit. A single sentence longer than the
    limit is split at the last space before it (or, failing that, at the limit).

    Args:
        text: The text to send.
        limit: The channel's maximum characters per message (at least 20).

    Returns:
        The messages, none empty; an empty list for blank text.

    Raises:
        ValueError: If `limit` is below 20.
    """
    if limit < 20:
        raise ValueError("limit must be at least 20 characters")
    stripped = text.strip()
    if not stripped:
        return []
    if len(stripped) <= limit:
        return [stripped]
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(stripped):
        # Keep the separator's closing quote or bracket with the sentence; a paragraph break stays a break.
        end = match.start() + len(match.group(0).rstrip())
        sentences.append(stripped[start:end])
        start = match.end()
        if "\n\n" in match.group(0).replace(" ", ""):
            sentences[-1] += "\n\n"
    sentences.append(stripped[start:])
    messages: list[str] = []
    current = ""
    for sentence in sentences:
        if not sentence.strip():
            continue
        joiner = "" if not current or current.endswith("\n\n") else " "
        if len(current) + len(joiner) + len(sentence.rstrip()) <= limit:
            current = f"{current}{joiner}{sentence}"
            continue
        if current.strip():
            messages.append(current.strip())
        if len(sentence.rstrip()) <= limit:
            current = sentence
        else:
            pieces = _hard_split(sentence.strip(), limit)
            messages.extend(pieces[:-1])
            current = pieces[-1]
    if current.strip():
        messages.append(current.strip())
    return messages
