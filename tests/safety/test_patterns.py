"""The phrase language and spelling correction that the safety vocabulary relies on."""

from __future__ import annotations

import pytest

from bot.safety.fuzzy import Corrector, bounded_distance, squeeze
from bot.safety.patterns import Compiler, PatternError, Text, any_of

CLASSES = {"SMELL": ("smell|smells / bad odour",), "GAS": ("gas|gaz",)}


def _spans(pattern: str, sentence: str) -> list[tuple[int, int]]:
    return Compiler(CLASSES).compile(pattern).find(Text(sentence.split()))


def test_pattern_matches_a_class_of_words_and_of_phrases() -> None:
    assert _spans("@SMELL of @GAS", "a smell of gaz here") == [(1, 4)]
    assert _spans("@SMELL of @GAS", "a bad odour of gas") == [(1, 5)]


def test_optional_slot_matches_with_and_without_its_word() -> None:
    assert _spans("smell of? gas", "smell gas and smell of gas") == [(0, 2), (3, 6)]


def test_any_word_slot_skips_exactly_one_word() -> None:
    assert _spans("smell _ gas", "smell of gas") == [(0, 3)]
    assert _spans("smell _ gas", "smell gas") == []


def test_slot_items_are_single_words_and_phrases_need_a_slash() -> None:
    assert _spans("no one|nobody seen", "nobody seen") == []
    assert _spans(any_of("no one seen", "nobody seen"), "nobody seen") == [(0, 2)]


@pytest.mark.parametrize("pattern", ["@MISSING", "", "gas / ", "_ gas", "gas? leak?", "gas ||"])
def test_compile_rejects_malformed_patterns(pattern: str) -> None:
    with pytest.raises(PatternError):
        Compiler(CLASSES).compile(pattern)


def test_compile_rejects_a_class_that_refers_to_itself() -> None:
    with pytest.raises(PatternError):
        Compiler({"LOOP": ("gas @LOOP",)}).compile("@LOOP")


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("smell", "smell", 0), ("smel", "smell", 1), ("smlel", "smell", 1), ("flud", "flood", 2), ("gas", "fire", 4)],
)
def test_bounded_distance_counts_insertions_substitutions_and_swaps(a: str, b: str, expected: int) -> None:
    assert bounded_distance(a, b, 5) == expected


def test_bounded_distance_stops_at_the_limit() -> None:
    assert bounded_distance("monoxide", "sausages", 2) == 3


def test_squeeze_collapses_repeated_letters() -> None:
    assert squeeze("smeeelll") == "smel"


def test_corrector_fixes_misspelt_keywords_but_not_protected_or_short_words() -> None:
    corrector = Corrector(["smell", "flood", "gas"], ["smell", "flood", "gas"], ["floor"])
    assert corrector.correct("smeel") == "smell"
    assert corrector.correct("gaas") == "gas"
    assert corrector.correct("floor") is None
    assert corrector.correct("has") is None
