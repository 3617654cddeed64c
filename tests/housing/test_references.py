import pytest

from bot.housing import references
from bot.housing.db import session_scope
from bot.housing.errors import InvalidReference


def test_format_reference_pads_the_number_and_adds_a_check_letter() -> None:
    reference = references.format_reference("REP", 4217)
    assert reference.startswith("REP-004217")
    assert len(reference) == len("REP-004217K")
    assert reference[-1] in references.CHECK_LETTERS


@pytest.mark.parametrize("typed", ["{ref}", "{lower}", "rep 4217 {letter}", "REP-004217-{letter}", "rep4217{letter}"])
def test_parse_reference_accepts_what_people_type(typed: str) -> None:
    reference = references.format_reference("REP", 4217)
    text = typed.format(ref=reference, lower=reference.lower(), letter=reference[-1].lower())
    assert references.parse_reference(text, references.REPAIR) == reference


def test_parse_reference_catches_every_single_digit_typo_and_neighbour_swap() -> None:
    for number in range(1, 400):
        reference = references.format_reference("CMP", number)
        digits, letter = reference[4:10], reference[-1]
        typos = {digits[:i] + d + digits[i + 1 :] for i in range(6) for d in "0123456789"} - {digits}
        swaps = {digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :] for i in range(5)} - {digits}
        for wrong in typos | swaps:
            with pytest.raises(InvalidReference):
                references.parse_reference(f"CMP-{wrong}{letter}")


@pytest.mark.parametrize("typed", ["", "REP", "REP-004217", "XYZ-004217A", "004217K", "REP-0042!7K"])
def test_parse_reference_rejects_malformed_text(typed: str) -> None:
    with pytest.raises(InvalidReference):
        references.parse_reference(typed)


def test_parse_reference_rejects_a_reference_of_another_kind() -> None:
    complaint = references.format_reference("CMP", 12)
    with pytest.raises(InvalidReference):
        references.parse_reference(complaint, references.REPAIR)


def test_next_reference_counts_up_per_prefix_from_one(session_factory) -> None:
    with session_scope(session_factory) as session:
        first = references.next_reference(session, references.REPAIR)
        second = references.next_reference(session, references.REPAIR)
        other = references.next_reference(session, references.COMPLAINT)
    assert first == references.format_reference("REP", 1)
    assert second == references.format_reference("REP", 2)
    assert other == references.format_reference("CMP", 1)


def test_next_reference_gives_the_number_back_when_the_transaction_rolls_back(session_factory) -> None:
    with pytest.raises(RuntimeError), session_scope(session_factory) as session:
        references.next_reference(session, references.HANDOFF)
        raise RuntimeError("the record could not be saved")
    with session_scope(session_factory) as session:
        assert references.next_reference(session, references.HANDOFF) == references.format_reference("HND", 1)
