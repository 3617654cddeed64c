import pytest

from bot.training_data.redact import fill_placeholders, redact


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("call me on 07700 900123 pls", "call me on <phone> pls", "900123"),
        ("my number is +44 (0)7700 900123", "my number is <phone>", "7700"),
        ("ring 0113 496 0000 after 5", "ring <phone> after 5", "496"),
        ("new mobile 07700900123 2 kids here", "new mobile <phone> 2 kids here", "07700900123"),
        ("whatsapp me on +33 6 12 34 56 78", "whatsapp me on <phone>", "+33"),
    ],
)
def test_redact_replaces_phone_numbers_in_any_layout(text, kept, gone) -> None:
    result = redact(text)
    assert result.text == kept
    assert gone not in result.text
    assert "phone" in result.kinds


def test_redact_replaces_email_addresses() -> None:
    result = redact("email me at Jo.Bloggs+repairs@example.co.uk thanks")
    assert result.text == "email me at <email> thanks"
    assert result.kinds == ("email",)


@pytest.mark.parametrize("postcode", ["LS1 4AB", "ls14ab", "M13 9PL", "hg1  2xy", "EC1A 1BB"])
def test_redact_replaces_postcodes_in_any_case_and_spacing(postcode) -> None:
    result = redact(f"i live at {postcode} and the roof leaks")
    assert result.text == "i live at <postcode> and the roof leaks"
    assert result.kinds == ("postcode",)


@pytest.mark.parametrize("reference", ["TN104233", "tn104233", "TN 104233", "tn-104233"])
def test_redact_replaces_tenancy_references(reference) -> None:
    result = redact(f"my ref is {reference}")
    assert result.text == "my ref is <tenancy ref>"
    assert result.kinds == ("tenancy_reference",)


def test_redact_masks_card_numbers_keeping_the_last_four_digits() -> None:
    result = redact("pay with 4111 1111 1111 1111 exp 12/27")
    assert result.text == "pay with **** **** **** 1111 exp 12/27"
    assert result.kinds == ("card",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kind regards, Mr Okafor", "Kind regards, <name>"),
        ("im a carer for mrs dobson in the bungalow", "im a carer for <name> in the bungalow"),
        ("Yours faithfully, J. Patel", "Yours faithfully, <name>"),
        ("my name is jane doe", "my name is <name>"),
        ("my name is jane and the boiler broke", "my name is <name> and the boiler broke"),
        ("Hi, I'm Dave Smith from number 4", "Hi, I'm <name> from number 4"),
        ("hi its sandra at no 14, toilet wont flush", "hi its <name> at no 14, toilet wont flush"),
        ("boiler broken. thanks Sandra", "boiler broken. thanks <name>"),
    ],
)
def test_redact_replaces_names_where_the_message_says_they_are_names(text, expected) -> None:
    result = redact(text)
    assert result.text == expected
    assert "name" in result.kinds


@pytest.mark.parametrize(
    "text",
    [
        "it's cold in here",
        "I am Worried about my neighbour",
        "im on the 9th floor with a pram",
        "the boiler is 15 years old",
        "we pay £450 a month",
        "flat 2 has no hot water since 3 days",
    ],
)
def test_redact_leaves_ordinary_messages_alone(text) -> None:
    result = redact(text)
    assert result.text == text
    assert result.kinds == ()


def test_redact_replaces_street_addresses() -> None:
    result = redact("my dad lives at 22 Rowan Court, no heating")
    assert result.text == "my dad lives at <address>, no heating"
    assert result.kinds == ("address",)


def test_redact_handles_every_kind_in_one_message() -> None:
    text = "Mr Okafor, TN104233, LS1 4AB, 07700 900123, a@example.com, card 4111111111111111"
    result = redact(text)
    for secret in ("Okafor", "104233", "LS1", "900123", "a@example.com", "411111111111"):
        assert secret not in result.text
    assert set(result.kinds) == {"card", "email", "tenancy_reference", "phone", "postcode", "name"}


@pytest.mark.parametrize(
    "text",
    ["", "   ", "🙂🙂🙂", "\x00\x01 nul", "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ", "é" * 5000, "[boiler](repair_item) <phone>", "0" * 40],
)
def test_redact_accepts_garbage_and_unicode_without_failing(text) -> None:
    result = redact(text)
    assert isinstance(result.text, str)
    assert len(result.text) <= len(text) + 20


def test_redact_handles_unicode_around_personal_data() -> None:
    result = redact("📞 07700 900123 🙏 café ñ")
    assert result.text == "📞 <phone> 🙏 café ñ"


def test_fill_placeholders_gives_natural_text_with_entities_marked_and_is_stable() -> None:
    text = "my postcode is <postcode>, ref <tenancy ref>, call <phone>"
    filled = fill_placeholders(text)
    assert "<" not in filled
    assert "](postcode)" in filled and "](tenancy_reference)" in filled
    assert "07700" in filled or "+44 7700" in filled
    assert fill_placeholders(text) == filled
