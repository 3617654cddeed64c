"""Compile and match the small phrase language the safety vocabulary is written in.

The vocabulary is meant to be read by a safety lead, so its patterns are plain words with a few marks:

    pattern := phrase (" / " phrase)*     any one of the phrases
    phrase  := slot (" " slot)*           the slots in order, next to each other
    slot    := item ("|" item)* ["?"]     any one of the items; a trailing "?" makes the slot optional
    item    := word | "@NAME" | "_"       a literal word, a named class, or any single word

A class is a tuple of patterns in the same language, so "@SMELL" can stand for "smell|smells / bad odour".
Patterns are matched against the words produced by `bot.safety.normalise`, which are lower-case, so
patterns are written in lower case. The items of a slot are single words: "no one|nobody seen" means
"no" then "one" or "nobody" then "seen"; alternative phrases are written "no one seen / nobody seen".

Each pattern is translated into a regular expression over the message's words joined by spaces, and
is only run from the positions of words it can begin with, so most patterns are skipped at the cost of
one set comparison.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce

Span = tuple[int, int]


@dataclass(frozen=True)
class _Words:
    words: frozenset[str]


@dataclass(frozen=True)
class _AnyWord:
    pass


@dataclass(frozen=True)
class _Seq:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Alt:
    options: tuple[_Node, ...]


@dataclass(frozen=True)
class _Opt:
    item: _Node


_Node = _Words | _AnyWord | _Seq | _Alt | _Opt


def any_of(*phrases: str) -> str:
    """Join phrases into one pattern that matches any of them (for long lists in the vocabulary)."""
    return " / ".join(phrases)


class PatternError(ValueError):
    """Raised when a vocabulary pattern is malformed or refers to an unknown class."""


class Text:
    """A message's normalised words, laid out for fast matching.

    The words are joined into one string, each followed by a space, so that a compiled pattern can
    be run by the `re` engine from any word's offset.
    """

    def __init__(self, words: Sequence[str]) -> None:
        """Index the words by value and by character offset."""
        self.words = tuple(words)
        self.text = "".join(f"{word} " for word in self.words)
        self.offsets: list[int] = []
        self.index: dict[str, list[int]] = {}
        offset = 0
        for position, word in enumerate(self.words):
            self.offsets.append(offset)
            self.index.setdefault(word, []).append(position)
            offset += len(word) + 1
        self.position_at = {start: position for position, start in enumerate(self.offsets)}
        self.position_at[offset] = len(self.words)
        self.present = frozenset(self.index)


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: its source text, its regular expression and the words it can begin with."""

    source: str
    regex: re.Pattern[str]
    first: frozenset[str]
    words: frozenset[str]

    def find(self, text: Text) -> list[Span]:
        """Return a span matched from each position where the pattern matches, in order of start.

        Optional slots are tried last, so spans tend to be the shortest the pattern allows.

        Args:
            text: The message to search.

        Returns:
            (start, end) pairs of word positions, with `end` exclusive.
        """
        if self.first.isdisjoint(text.present):
            return []
        starts = sorted(position for word in self.first & text.present for position in text.index[word])
        spans: list[Span] = []
        for start in starts:
            found = self.regex.match(text.text, text.offsets[start])
            if found:
                spans.append((start, text.position_at[found.end()]))
        return spans


class Compiler:
    """Compile patterns against a fixed set of named classes, caching each class once."""

    def __init__(self, classes: Mapping[str, Sequence[str]]) -> None:
        """Hold the class definitions; nothing is compiled until a pattern refers to it."""
        self._classes = classes
        self._cache: dict[str, _Node] = {}
        self._building: set[str] = set()

    def compile(self, source: str) -> Pattern:
        """Compile one pattern.

        Args:
            source: Pattern text in the phrase language.

        Returns:
            The compiled pattern.

        Raises:
            PatternError: If the pattern is empty, can match nothing, can begin with "_", or names an
                unknown class.
        """
        node = self._pattern(source)
        first, nullable = _first(node)
        if nullable or not first:
            raise PatternError(f"pattern can match no words or begin anywhere: {source!r}")
        return Pattern(source=source, regex=re.compile(_regex(node)), first=first, words=frozenset(_literals(node)))

    def _pattern(self, source: str) -> _Node:
        phrases = [p.strip() for p in source.split(" / ")]
        if not all(phrases):
            raise PatternError(f"empty phrase in {source!r}")
        return _simplify_alt([self._phrase(p) for p in phrases])

    def _phrase(self, phrase: str) -> _Node:
        slots = [self._slot(s) for s in phrase.split()]
        return slots[0] if len(slots) == 1 else _Seq(tuple(slots))

    def _slot(self, slot: str) -> _Node:
        optional = slot.endswith("?")
        body = slot[:-1] if optional else slot
        if not body:
            raise PatternError(f"empty slot {slot!r}")
        options: list[_Node] = []
        for item in body.split("|"):
            if not item:
                raise PatternError(f"empty item in slot {slot!r}")
            if item == "_":
                options.append(_AnyWord())
            elif item.startswith("@"):
                options.append(self._class(item[1:]))
            else:
                options.append(_Words(frozenset({item})))
        node = _simplify_alt(options)
        return _Opt(node) if optional else node

    def _class(self, name: str) -> _Node:
        if name in self._cache:
            return self._cache[name]
        if name not in self._classes:
            raise PatternError(f"unknown class @{name}")
        if name in self._building:
            raise PatternError(f"class @{name} refers to itself")
        self._building.add(name)
        node = _simplify_alt([self._pattern(p) for p in self._classes[name]])
        self._building.discard(name)
        self._cache[name] = node
        return node


def _simplify_alt(options: list[_Node]) -> _Node:
    # Single words are merged into one set so a class of a hundred words costs one lookup.
    singles: set[str] = set()
    others: list[_Node] = []
    for option in options:
        if isinstance(option, _Words):
            singles |= option.words
        elif isinstance(option, _Alt):
            for inner in option.options:
                if isinstance(inner, _Words):
                    singles |= inner.words
                else:
                    others.append(inner)
        else:
            others.append(option)
    merged: list[_Node] = ([_Words(frozenset(singles))] if singles else []) + others
    return merged[0] if len(merged) == 1 else _Alt(tuple(merged))


def _first(node: _Node) -> tuple[frozenset[str], bool]:
    """Return the words a match can begin with and whether the node can match nothing."""
    if isinstance(node, _Words):
        return node.words, False
    if isinstance(node, _AnyWord):
        # An empty first-set with nullable False marks "begins anywhere", rejected by compile().
        return frozenset(), False
    if isinstance(node, _Opt):
        return _first(node.item)[0], True
    if isinstance(node, _Alt):
        parts = [_first(o) for o in node.options]
        if any(isinstance(o, _AnyWord) for o in node.options):
            return frozenset(), False
        return frozenset().union(*(p[0] for p in parts)), any(p[1] for p in parts)
    collected: set[str] = set()
    for item in node.items:
        if isinstance(item, _AnyWord):
            return frozenset(), False
        words, nullable = _first(item)
        collected |= words
        if not nullable:
            return frozenset(collected), False
    return frozenset(collected), True


def _literals(node: _Node) -> set[str]:
    if isinstance(node, _Words):
        return set(node.words)
    if isinstance(node, _AnyWord):
        return set()
    if isinstance(node, _Opt):
        return _literals(node.item)
    children = node.options if isinstance(node, _Alt) else node.items
    return reduce(set.union, (_literals(c) for c in children), set())


def _regex(node: _Node) -> str:
    """Translate a node into a regular expression over words that are each followed by one space."""
    if isinstance(node, _Words):
        alternatives = sorted(node.words, key=lambda w: (-len(w), w))
        body = "|".join(re.escape(word) for word in alternatives)
        return f"(?:{body}) " if len(alternatives) > 1 else f"{body} "
    if isinstance(node, _AnyWord):
        return "[^ ]+ "
    if isinstance(node, _Opt):
        return f"(?:{_regex(node.item)})??"
    if isinstance(node, _Alt):
        return "(?:" + "|".join(_regex(option) for option in node.options) + ")"
    return "".join(_regex(item) for item in node.items)
