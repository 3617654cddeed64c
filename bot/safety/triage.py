"""Deterministic safety triage that runs in front of the ML model on every tenant message.

It answers one question, whatever intent the model predicts: does this message describe a danger that
needs safety advice straight away? A missed emergency is the worst bug this product can have, so where
the two conflict recall wins over precision; but "gas bill", "fire alarm test" and "this rent is
killing me" must not send a tenant to the safety message, so near-misses are part of the vocabulary.

How a message is read:

1. `bot.safety.normalise` tidies it (case, accents, emoji, text speak, misspellings, run-together words).
2. Every rule in `bot.safety.vocab_gas_fire`, `bot.safety.vocab_home` and `bot.safety.vocab_welfare`
   is tried. A rule fires when its patterns are all found close together, and none of its vetoes
   applies: the words are part of a harmless compound, are negated ("no smell of gas"), or sit next to
   context that makes them routine or resolved ("low battery", "engineer fixed it"). A hit can yield to
   a more specific danger found in the same message (a burning smell next to a socket is electrical).
3. A danger is immediate (999 advice first) when its rule says so, or when the message has a cue for
   that danger ("he's here now", "tonight", "trapped").

The order of seriousness is documented in `bot.safety.dangers`. All vocabulary is data in the `vocab_*`
modules, for a safety lead to review; this module holds no words. Nothing here uses a network or a
model; the rules are compiled once, on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import product

from bot.safety.dangers import Danger, Rule
from bot.safety.normalise import Doc, Normaliser
from bot.safety.patterns import Compiler, Pattern, Span, Text
from bot.safety.vocab_gas_fire import GAS_FIRE_IMMEDIATE, GAS_FIRE_RULES
from bot.safety.vocab_home import HOME_IMMEDIATE, HOME_RULES
from bot.safety.vocab_text import NEGATION_FILLERS, NEGATION_REACH, NEGATORS
from bot.safety.vocab_welfare import WELFARE_IMMEDIATE, WELFARE_RULES
from bot.safety.vocab_words import CLASSES

__all__ = ["Danger", "TriageResult", "triage", "triage_all"]

# How many matches of each pattern are combined; only garbage and pasted essays reach these.
_COMBINATION_CAPS = {1: 512, 2: 64, 3: 20}
# Rules with `alone_with` only fire on messages this short.
_ALONE_MAX_WORDS = 6


@dataclass(frozen=True)
class TriageResult:
    """One danger found in a message.

    Attributes:
        danger: The kind of danger.
        category: "emergency" for hazards in or to the home, "welfare" for risks to a person.
        matched: The tenant's own words that triggered the rule.
        immediate_danger: Whether life is at risk right now, so 999 advice comes first.
    """

    danger: Danger
    category: str
    matched: str
    immediate_danger: bool


def triage(text: str) -> TriageResult | None:
    """Return the most serious danger in a message, or None when there is none.

    An immediate danger outranks any that is not; otherwise the order is `bot.safety.dangers.RANK`
    (fire, gas, carbon monoxide, self-harm, person at risk, child at risk, domestic abuse, electrical,
    flood, sewage, insecure home).

    Args:
        text: The tenant's message as received.

    Returns:
        The most serious result, or None.

    Raises:
        TypeError: If `text` is not a string.
    """
    found = triage_all(text)
    return found[0] if found else None


def triage_all(text: str) -> list[TriageResult]:
    """Return every distinct danger in a message, most serious first.

    Args:
        text: The tenant's message as received.

    Returns:
        One result per kind of danger found; empty when there is none.

    Raises:
        TypeError: If `text` is not a string.
    """
    return _engine().scan(text)


@dataclass(frozen=True)
class _CompiledRule:
    rule: Rule
    all_of: tuple[Pattern, ...]
    not_part_of: tuple[Pattern, ...]
    not_near: tuple[Pattern, ...]
    unless_also: tuple[Pattern, ...]
    calm_near: tuple[Pattern, ...]
    alone_with: frozenset[str] | None


class _Message:
    """A normalised message with per-message caches of pattern matches."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = Text(doc.words)
        self._found: dict[str, list[Span]] = {}

    def find(self, pattern: Pattern) -> list[Span]:
        found = self._found.get(pattern.source)
        if found is None:
            found = self._found[pattern.source] = pattern.find(self.text)
        return found

    def negated(self, start: int) -> bool:
        """Tell whether a negator stands just before `start`, with only filler words between."""
        words, clauses = self.doc.words, self.doc.clauses
        position = start - 1
        skipped = 0
        while position >= 0 and clauses[position] == clauses[start]:
            word = words[position]
            if word in NEGATORS:
                return True
            if word not in NEGATION_FILLERS or skipped == NEGATION_REACH:
                return False
            skipped += 1
            position -= 1
        return False

    def near(self, patterns: Sequence[Pattern], low: int, high: int, reach: int) -> bool:
        """Tell whether any pattern matches within `reach` words of the hit [low, high).

        A match outside the hit must not be negated ("has not been fixed" is no fix); one inside the
        hit counts as it is, because the hit's own negation is judged separately.
        """
        for pattern in patterns:
            for start, end in self.find(pattern):
                if start >= high + reach or end <= low - reach:
                    continue
                if (low <= start and end <= high) or not self.negated(start):
                    return True
        return False

    def anywhere(self, patterns: Sequence[Pattern]) -> bool:
        return any(not self.negated(start) for pattern in patterns for start, _ in self.find(pattern))

    def quote(self, low: int, high: int) -> str:
        quoted: list[str] = []
        for original in self.doc.originals[low:high]:
            # A split word ("gasleak") or an expanded one ("dont") yields several words from one original.
            if not quoted or quoted[-1] != original:
                quoted.append(original)
        return " ".join(quoted)


class _Engine:
    def __init__(self, rules: Sequence[Rule], cues: Mapping[Danger, Sequence[str]]) -> None:
        compiler = Compiler(CLASSES)

        def many(sources: Sequence[str]) -> tuple[Pattern, ...]:
            return tuple(compiler.compile(source) for source in sources)

        self._rules = tuple(
            _CompiledRule(
                rule=rule,
                all_of=many(rule.all_of),
                not_part_of=many(rule.not_part_of),
                not_near=many(rule.not_near),
                unless_also=many(rule.unless_also),
                calm_near=many(rule.calm_near),
                alone_with=compiler.compile(rule.alone_with).words if rule.alone_with else None,
            )
            for rule in rules
        )
        self._cues = {danger: many(cues.get(danger, ())) for danger in Danger}
        vocabulary: set[str] = set()
        for compiled in self._rules:
            for pattern in (
                *compiled.all_of,
                *compiled.not_part_of,
                *compiled.not_near,
                *compiled.unless_also,
                *compiled.calm_near,
            ):
                vocabulary |= pattern.words
        for patterns in self._cues.values():
            for pattern in patterns:
                vocabulary |= pattern.words
        self._normalise = Normaliser(vocabulary | NEGATORS | NEGATION_FILLERS)
        # Which rules a word can start: a rule is only tried when its first pattern can begin somewhere.
        self._rules_by_word: dict[str, list[int]] = {}
        for number, compiled in enumerate(self._rules):
            for word in compiled.all_of[0].first:
                self._rules_by_word.setdefault(word, []).append(number)

    def scan(self, text: str) -> list[TriageResult]:
        message = _Message(self._normalise(text))
        if not message.doc.words:
            return []
        hits: list[tuple[Rule, TriageResult]] = []
        settled: set[Danger] = set()
        present = message.text.present
        candidates = sorted({n for word in present for n in self._rules_by_word.get(word, ())})
        for number in candidates:
            compiled = self._rules[number]
            if any(pattern.first.isdisjoint(present) for pattern in compiled.all_of[1:]):
                continue
            rule = compiled.rule
            # Once a danger is known to be immediate, its other rules cannot change the answer.
            if rule.danger in settled:
                continue
            result = self._apply(compiled, message)
            if result is not None:
                hits.append((rule, result))
                if result.immediate_danger and not rule.yields_to:
                    settled.add(rule.danger)
        found = {result.danger for _, result in hits}
        best: dict[Danger, TriageResult] = {}
        for rule, result in hits:
            if found.intersection(rule.yields_to):
                continue
            current = best.get(result.danger)
            if current is None or (result.immediate_danger and not current.immediate_danger):
                best[result.danger] = result
        return sorted(best.values(), key=lambda r: (not r.immediate_danger, r.danger.rank))

    def _apply(self, compiled: _CompiledRule, message: _Message) -> TriageResult | None:
        rule = compiled.rule
        for combination in self._combinations(compiled, message):
            low = min(start for start, _ in combination)
            high = max(end for _, end in combination)
            if not self._valid(compiled, message, combination, low, high):
                continue
            calm = message.near(compiled.calm_near, low, high, rule.reach)
            immediate = (rule.immediate and not calm) or message.anywhere(self._cues[rule.danger])
            return TriageResult(rule.danger, rule.danger.category, message.quote(low, high), immediate)
        return None

    @staticmethod
    def _combinations(compiled: _CompiledRule, message: _Message) -> Iterator[tuple[Span, ...]]:
        found = [message.find(pattern) for pattern in compiled.all_of]
        if not all(found):
            return
        cap = _COMBINATION_CAPS.get(len(found), 8)
        for combination in product(*(spans[:cap] for spans in found)):
            if len(combination) == 1:
                yield combination
                continue
            low = min(start for start, _ in combination)
            high = max(end for _, end in combination)
            if high - low <= compiled.rule.window:
                yield combination

    @staticmethod
    def _valid(compiled: _CompiledRule, message: _Message, combination: tuple[Span, ...], low: int, high: int) -> bool:
        rule = compiled.rule
        used = {position for start, end in combination for position in range(start, end)}
        for pattern in compiled.not_part_of:
            for start, end in message.find(pattern):
                if not used.isdisjoint(range(start, end)):
                    return False
        if rule.negatable and any(message.negated(start) for start, _ in combination):
            return False
        if message.near(compiled.not_near, low, high, rule.reach) and not message.near(
            compiled.unless_also, low, high, rule.reach
        ):
            return False
        if compiled.alone_with is not None:
            words = message.doc.words
            if len(words) > _ALONE_MAX_WORDS:
                return False
            # Repeating the danger word ("GAS GAS GAS") is allowed too.
            allowed = compiled.alone_with.union(*(pattern.words for pattern in compiled.all_of))
            if not all(word in allowed for position, word in enumerate(words) if position not in used):
                return False
        return True


@cache
def _engine() -> _Engine:
    return _Engine(
        GAS_FIRE_RULES + HOME_RULES + WELFARE_RULES,
        {**GAS_FIRE_IMMEDIATE, **HOME_IMMEDIATE, **WELFARE_IMMEDIATE},
    )
