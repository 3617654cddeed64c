"""Correct misspelt words to the safety keywords with a small, bounded edit distance.

Tenants misspell the very words that matter ("smel", "carbon monoxid", "sparkin", "suicidle"). Each
word that the vocabulary does not know is compared with the keywords that share its first letter (only
the words whose misspelling would hide a danger are keywords); the allowed distance grows with length
so that short words stay exact:

* keywords of four letters or fewer only forgive doubled letters ("gaas"); other misspellings of "gas",
  "fire" or "leak" are listed variants, because "has", "hire" and "lead" are one edit away;
* five to eight letters: one edit; nine or more: two edits (two edits on eight-letter words turned
  "seeing" into "smelling" and "finding" into "flooding").

An edit is an insertion, deletion, substitution or swap of two neighbouring letters (optimal string
alignment). Doubled letters are also forgiven separately: "smelll", "flooood" and "gass" reduce to the
same squeezed form as the keyword. Real English words that sit one edit from a keyword
("floor", "fired", "frames", "sparkling") are listed as protected in the vocabulary and never corrected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_RUNS = re.compile(r"(.)\1+")


def squeeze(word: str) -> str:
    """Collapse every run of a repeated character to one ("smelll" -> "smel")."""
    return _RUNS.sub(r"\1", word)


def bounded_distance(a: str, b: str, limit: int) -> int:
    """Return the edit distance between two words, or `limit + 1` once it is known to exceed `limit`.

    Args:
        a: First word.
        b: Second word.
        limit: Largest distance of interest.

    Returns:
        The optimal string alignment distance (a swap of neighbours counts as one edit), capped at
        `limit + 1`.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    # Three rolling rows are enough for the swap case; stop as soon as a whole row exceeds the limit.
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def allowed_edits(word: str) -> int:
    """Return how many edits a keyword of this length tolerates."""
    if len(word) <= 4:
        return 0
    return 1 if len(word) <= 8 else 2


class Corrector:
    """Map unknown words to the closest keyword, or leave them alone."""

    def __init__(self, vocabulary: Iterable[str], keywords: Iterable[str], protected: Iterable[str]) -> None:
        """Index the keywords by first letter and by squeezed form.

        Args:
            vocabulary: Every word the patterns use; these are never corrected.
            keywords: The words misspellings are corrected towards.
            protected: Real words that must never be corrected into a keyword.
        """
        self._vocabulary = frozenset(vocabulary)
        self._protected = frozenset(protected)
        by_letter: dict[str, list[tuple[str, str]]] = {}
        squeezed: dict[str, set[str]] = {}
        for word in sorted(frozenset(keywords)):
            squeezed.setdefault(squeeze(word), set()).add(word)
            if allowed_edits(word) and word.isalpha():
                by_letter.setdefault(word[0], []).append((word, squeeze(word)))
        # A squeezed form shared by two keywords would be ambiguous and is not used.
        self._squeezed = {key: next(iter(words)) for key, words in squeezed.items() if len(words) == 1}
        self._by_letter = {letter: tuple(words) for letter, words in by_letter.items()}

    def correct(self, word: str) -> str | None:
        """Return the keyword `word` most likely stands for (itself if in the vocabulary), or None.

        Args:
            word: A normalised word that is not itself in the vocabulary.

        Returns:
            The vocabulary word, or None.
        """
        if word in self._vocabulary:
            return word
        if word in self._protected or len(word) < 4 or not word.isalpha():
            return None
        short = squeeze(word)
        if short in self._squeezed:
            return self._squeezed[short]
        best: str | None = None
        best_edits = 99
        for candidate, squeezed_candidate in self._by_letter.get(word[0], ()):
            limit = min(allowed_edits(candidate), best_edits - 1)
            if limit < 0 or abs(len(candidate) - len(word)) > limit + 1:
                continue
            edits = min(bounded_distance(word, candidate, limit), bounded_distance(short, squeezed_candidate, limit))
            if edits <= limit:
                best, best_edits = candidate, edits
        return best
