"""Turn a tenant's raw message into the words the safety rules read.

The steps, in order (the data for each lives in `bot.safety.vocab_text`):

1. Repair broken UTF-16 (lone surrogates become U+FFFD), apply Unicode NFKC, map meaningful emoji to
   words and drop the rest, lower-case, and strip accents ("café" -> "cafe").
2. Expand contractions ("can't" -> "can not", "he's" -> "he is") and drop possessive "'s".
3. Full stops, question and exclamation marks, semicolons, colons, new lines and commas end a clause;
   every other non-letter, non-digit character becomes a space. Clauses only limit negation: the
   rules' windows run across them, because tenants punctuate at random ("GAS!! smell in hall").
4. Per word: runs of three or more of the same letter collapse to one ("gasssss", "smeeeell"), text
   speak and dialect are rewritten ("u", "pls", "cos", "nowt"), digits inside words are read as letters
   ("h3lp"), misspellings are corrected towards the vocabulary (`bot.safety.fuzzy`), and run-together
   words are split ("gasleak").

Every output word remembers the word the tenant typed, so a result can quote the tenant's own words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.safety.fuzzy import Corrector
from bot.safety.vocab_text import EMOJI, FUZZY_KEYWORDS, IS_AFTER, LEET, PROTECTED, REWRITES, SPLIT_WORDS

_IGNORABLE = re.compile("[\ufe0e\ufe0f\u200d\u20e3\U0001f3fb-\U0001f3ff]")
_EMOJI = re.compile("|".join(re.escape(e) for e in sorted(EMOJI, key=len, reverse=True)))
_QUOTES = re.compile("[\u2018\u2019\u201b\u02bc\u0060\u00b4\u2032]")
_NOT = re.compile(r"\b(ca|wo|sha|ai)n't\b|n't\b")
_NOT_WORDS: dict[str | None, str] = {
    "ca": "can not",
    "wo": "will not",
    "sha": "shall not",
    "ai": "is not",
    None: " not",
}
_OTHER_CONTRACTIONS = re.compile(r"'(re|ve|ll|d|m)\b")
_OTHER_WORDS = {"re": " are", "ve": " have", "ll": " will", "d": " would", "m": " am"}
_APOSTROPHE_S = re.compile(r"\b(\w+)'s\b")
# "C.O. alarm" and "c/o alarm" are how people abbreviate carbon monoxide.
_CO = re.compile(r"\bc\s*[./]\s*o\b\.?")
_CLAUSE_END = re.compile(r"[.!?;:,\n\r\u2026]+")
_SEPARATOR = re.compile(r"[^a-z0-9|\s]+")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th)$")
_CLAUSE = "|"


@dataclass(frozen=True)
class Doc:
    """A message as the rules see it.

    Attributes:
        words: Normalised words, with clause marks removed.
        originals: For each word, the word as the tenant typed it (lower-cased).
        clauses: For each word, the number of the clause it is in.
    """

    words: tuple[str, ...]
    originals: tuple[str, ...]
    clauses: tuple[int, ...]

    @property
    def present(self) -> frozenset[str]:
        """Return the set of words, for quick rejection of patterns that cannot match."""
        return frozenset(self.words)


class Normaliser:
    """Normalise messages towards a fixed vocabulary."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        """Prepare spelling correction and word splitting for the words the rules use.

        Args:
            vocabulary: Every literal word in the compiled rules.
        """
        self._vocabulary = frozenset(vocabulary)
        self._corrector = Corrector(self._vocabulary, FUZZY_KEYWORDS & self._vocabulary, PROTECTED)
        # Cache per normaliser: the same few thousand words recur in every message.
        self._canonical = lru_cache(maxsize=20_000)(self._canonical_uncached)

    def __call__(self, text: str) -> Doc:
        """Normalise a message.

        Args:
            text: The tenant's message as received.

        Returns:
            The message's normalised words.

        Raises:
            TypeError: If `text` is not a string.
        """
        if not isinstance(text, str):
            raise TypeError(f"safety triage needs text, not {type(text).__name__}")
        words: list[str] = []
        originals: list[str] = []
        clauses: list[int] = []
        clause = 0
        for token in _tidy(text).split():
            if token == _CLAUSE:
                clause += 1
                continue
            for word in self._canonical(token):
                words.append(word)
                originals.append(token)
                clauses.append(clause)
        return Doc(tuple(words), tuple(originals), tuple(clauses))

    def _canonical_uncached(self, token: str) -> tuple[str, ...]:
        token = _LONG_RUN.sub(r"\1", token)
        if token in REWRITES:
            return tuple(REWRITES[token].split())
        if any(c.isdigit() for c in token) and any(c.isalpha() for c in token) and not _ORDINAL.match(token):
            token = "".join(LEET.get(c, c) for c in token)
            if token in REWRITES:
                return tuple(REWRITES[token].split())
        corrected = self._corrector.correct(token)
        if corrected is not None:
            return (corrected,)
        if token not in PROTECTED:
            split = self._split(token)
            if split:
                return split
        return (token,)

    def _split(self, token: str) -> tuple[str, ...]:
        if len(token) < 5 or not token.isalpha():
            return ()
        for cut in range(2, len(token) - 1):
            left, right = self._known(token[:cut]), self._known(token[cut:])
            if left and right and (left[-1] in SPLIT_WORDS or right[0] in SPLIT_WORDS):
                return left + right
        return ()

    def _known(self, part: str) -> tuple[str, ...]:
        if part in self._vocabulary:
            return (part,)
        if part in REWRITES:
            return tuple(REWRITES[part].split())
        return ()


def _tidy(text: str) -> str:
    """Apply steps 1 to 3 of the module docstring; clause ends become a lone "|"."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = unicodedata.normalize("NFKC", text)
    text = _IGNORABLE.sub("", text)
    text = _EMOJI.sub(lambda m: f" {EMOJI[m.group(0)]} ", text)
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _QUOTES.sub("'", text)
    text = _NOT.sub(lambda m: _NOT_WORDS[m.group(1)], text)
    text = _OTHER_CONTRACTIONS.sub(lambda m: _OTHER_WORDS[m.group(1)], text)
    text = _APOSTROPHE_S.sub(lambda m: f"{m.group(1)} is" if m.group(1) in IS_AFTER else m.group(1), text)
    text = _CO.sub(" co ", text)
    text = _CLAUSE_END.sub(f" {_CLAUSE} ", text)
    return _SEPARATOR.sub(" ", text)
