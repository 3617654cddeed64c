from decimal import Decimal

import pytest

from bot.housing.errors import (
    EmptyDescription,
    InvalidAmount,
    InvalidEmail,
    InvalidPhoneNumber,
    InvalidPostcode,
    InvalidTenancyReference,
    TextTooLong,
)
from bot.housing.validation import (
    clean_text,
    luhn_valid,
    mask_card_numbers,
    normalise_channel_address,
    normalise_email,
    normalise_phone,
    normalise_postcode,
    normalise_tenancy_reference,
    parse_amount,
)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("LS1 4AB", "LS1 4AB"),
        ("ls14ab", "LS1 4AB"),
        ("  hg1   2xy ", "HG1 2XY"),
        ("M13 9PL", "M13 9PL"),
        ("sw1a1aa", "SW1A 1AA"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("gir0aa", "GIR 0AA"),
    ],
)
def test_normalise_postcode_accepts_any_spacing_and_case(typed: str, canonical: str) -> None:
    assert normalise_postcode(typed) == canonical


@pytest.mark.parametrize("typed", ["", "LS1", "LS1 4A", "1LS 4AB", "QQ1 4AB", "LS1 4CI", "LS1 4AB X", "TN104233"])
def test_normalise_postcode_rejects_malformed_postcodes(typed: str) -> None:
    with pytest.raises(InvalidPostcode):
        normalise_postcode(typed)


@pytest.mark.parametrize("typed", ["TN104233", "tn104233", " Tn 104233 ", "TN-104233"])
def test_normalise_tenancy_reference_accepts_any_case_and_spacing(typed: str) -> None:
    assert normalise_tenancy_reference(typed) == "TN104233"


@pytest.mark.parametrize("typed", ["", "104233", "TN10423", "TN1042334", "TX104233", "TN 10423a"])
def test_normalise_tenancy_reference_rejects_anything_but_tn_and_six_digits(typed: str) -> None:
    with pytest.raises(InvalidTenancyReference):
        normalise_tenancy_reference(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
        "447700900123",
        "whatsapp:+447700900123",
        "(07700) 900-123",
    ],
)
def test_normalise_phone_reads_uk_numbers_as_e164(typed: str) -> None:
    assert normalise_phone(typed) == "+447700900123"


def test_normalise_phone_keeps_other_countries_in_e164() -> None:
    assert normalise_phone("+1 415 555 2671") == "+14155552671"


@pytest.mark.parametrize(
    "typed", ["", "12345", "0770090012", "077009001234", "+44 07700 900123", "call me", "+0123456789"]
)
def test_normalise_phone_rejects_impossible_numbers(typed: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalise_phone(typed)


def test_normalise_channel_address_keeps_telegram_user_ids_and_refuses_names() -> None:
    assert normalise_channel_address("telegram", " 123456789 ") == "123456789"
    assert normalise_channel_address("whatsapp", "whatsapp:+447700900123") == "+447700900123"
    with pytest.raises(InvalidPhoneNumber):
        normalise_channel_address("telegram", "@sarah")


def test_normalise_email_lowercases_only_the_domain() -> None:
    assert normalise_email(" Sarah.Ahmed@Example.ORG ") == "Sarah.Ahmed@example.org"
    with pytest.raises(InvalidEmail):
        normalise_email("sarah at example.org")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("my card is 4111 1111 1111 1111 thanks", "my card is **** **** **** 1111 thanks"),
        ("4111-1111-1111-1111", "****-****-****-1111"),
        ("5500005555555559", "************5559"),
        ("amex 378282246310005", "amex ***********0005"),
        ("card 4111 1111 1111 1111 123 exp 12/27", "card **** **** **** 1111 123 exp 12/27"),
        ("cards 4111111111111111 and 5500005555555559", "cards ************1111 and ************5559"),
    ],
)
def test_mask_card_numbers_hides_all_but_the_last_four_digits(text: str, masked: str) -> None:
    assert mask_card_numbers(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "call me on 07700 900123",
        "my tenancy is TN104233 and I owe 245.60",
        "reference REP-004217K",
        "4111 1111 1111 1112 is not a valid card",  # fails the Luhn check
        "order 123456789012",  # twelve digits: too short for a card
    ],
)
def test_mask_card_numbers_leaves_phone_numbers_and_references_alone(text: str) -> None:
    assert mask_card_numbers(text) == text


def test_luhn_valid_matches_known_card_numbers() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("41111111x1111111")


def test_clean_text_masks_cards_and_refuses_blank_or_long_text() -> None:
    assert clean_text("  paid with 4111111111111111  ", field="description") == "paid with ************1111"
    assert clean_text("   ", field="note", required=False) is None
    with pytest.raises(EmptyDescription):
        clean_text("  \n ", field="description")
    with pytest.raises(TextTooLong):
        clean_text("x" * 11, field="item", max_length=10)


@pytest.mark.parametrize(
    ("typed", "amount"), [("12.50", "12.50"), ("£1,250", "1250.00"), (Decimal("3"), "3.00"), (7, "7.00")]
)
def test_parse_amount_reads_pounds_as_exact_decimals(typed: object, amount: str) -> None:
    assert parse_amount(typed) == Decimal(amount)  # type: ignore[arg-type]


@pytest.mark.parametrize("typed", [0, "-5", Decimal("-0.01"), 12.5, "12.505", "lots", "NaN", True])
def test_parse_amount_refuses_zero_negative_float_and_fractional_pence(typed: object) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(typed)  # type: ignore[arg-type]
