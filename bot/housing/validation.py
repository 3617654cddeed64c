"""Normalise and check what tenants type: postcodes, tenancy references, phone numbers, money and free text.

Each `normalise_*` function returns the one canonical form ("LS1 4AB", "TN104233", "+447700900123") or raises
a typed `InvalidInput` error. `mask_card_numbers` runs over every free-text answer before it is stored, so no
payment card number typed into a chat ever reaches the database.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.housing.enums import Channel
from bot.housing.errors import (
    EmptyDescription,
    InvalidAmount,
    InvalidEmail,
    InvalidName,
    InvalidPhoneNumber,
    InvalidPostcode,
    InvalidTenancyReference,
    TextTooLong,
)

# Royal Mail's formats (A9, A99, AA9, AA99, A9A, AA9A outward; 9AA inward) with the letters each position
# allows.
_POSTCODE = re.compile(
    r"^(?:"
    r"[A-PR-UWYZ][0-9]{1,2}"
    r"|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}"
    r"|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]"
    r")[0-9][ABD-HJLNP-UW-Z]{2}$"
)
_SPECIAL_POSTCODES = {"GIR0AA"}  # Girobank's historic non-geographic postcode, still valid.

_TENANCY_REFERENCE = re.compile(r"^TN[\s-]*(\d{6})$", re.IGNORECASE)

# Shapes for finding identifiers inside free text (a message, a sentence); the anchored patterns above decide
# whether one value is valid. Loose on purpose: something shaped like a postcode is treated as one.
POSTCODE_IN_TEXT = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", re.IGNORECASE)
TENANCY_REFERENCE_IN_TEXT = re.compile(r"\bTN[\s-]*\d{6}\b", re.IGNORECASE)

_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_PHONE_PREFIX = re.compile(r"^(?:whatsapp|tel|sms):", re.IGNORECASE)
_TRUNK_ZERO = re.compile(r"^(\+44|0044)\s*\(0\)")
_PHONE_PUNCTUATION = re.compile(r"[\s\-.()/]")
_UK_NATIONAL_DIGITS = (9, 10)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TELEGRAM_ID = re.compile(r"^\d{1,20}$")

# A candidate card number: 13 to 19 digits, optionally split by single spaces or dashes (4111 1111-1111 1111).
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d)+(?!\d)")
_CARD_MIN_DIGITS = 13
_CARD_MAX_DIGITS = 19
_CARD_VISIBLE_DIGITS = 4
PENNY = Decimal("0.01")


def normalise_postcode(text: str) -> str:
    """Return a UK postcode in canonical form ("ls14ab", "LS1  4AB" -> "LS1 4AB").

    Raises:
        InvalidPostcode: If `text` is not a UK postcode.

    """
    compact = re.sub(r"\s+", "", str(text or "")).upper()
    if compact not in _SPECIAL_POSTCODES and not _POSTCODE.match(compact):
        raise InvalidPostcode(f"{text!r} is not a UK postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_tenancy_reference(text: str) -> str:
    """Return a tenancy reference in canonical form ("tn 104233" -> "TN104233").

    Raises:
        InvalidTenancyReference: If `text` is not TN followed by six digits.

    """
    match = _TENANCY_REFERENCE.match(str(text or "").strip())
    if match is None:
        raise InvalidTenancyReference(f"{text!r} is not a tenancy reference (TN and six digits)")
    return f"TN{match.group(1)}"


def normalise_phone(text: str) -> str:
    """Return a phone number in E.164 form, reading UK national numbers ("07700 900123" -> "+447700900123").

    Accepts the forms people and providers write: spaces, dashes, brackets, "+44 (0)7700...", "0044...",
    "447700..." and Twilio's "whatsapp:+44..." prefix.

    Raises:
        InvalidPhoneNumber: If `text` cannot be read as a valid number.

    """
    raw = _PHONE_PREFIX.sub("", str(text or "").strip())
    raw = _TRUNK_ZERO.sub(r"\1", raw)
    compact = _PHONE_PUNCTUATION.sub("", raw)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif compact.startswith("0"):
        compact = "+44" + compact[1:]
    elif compact.startswith("44") and len(compact) == 12:
        compact = "+" + compact
    if not _E164.match(compact):
        raise InvalidPhoneNumber(f"{text!r} is not a valid phone number")
    if compact.startswith("+44"):
        national = compact[3:]
        # Mobiles (07...) always have ten digits after the 0; a few geographic numbers have nine.
        wrong_length = len(national) != 10 if national.startswith("7") else len(national) not in _UK_NATIONAL_DIGITS
        if national.startswith("0") or wrong_length:
            raise InvalidPhoneNumber(f"{text!r} is not a valid UK phone number")
    return compact


def normalise_channel_address(channel: Channel | str, address: str) -> str:
    """Return the canonical address on `channel`: E.164 for SMS and WhatsApp, the user id for Telegram.

    Raises:
        InvalidPhoneNumber: If an SMS or WhatsApp address is not a phone number, or a Telegram id is not
            numeric.

    """
    if Channel(channel) is Channel.TELEGRAM:
        value = str(address or "").strip()
        if not _TELEGRAM_ID.match(value):
            raise InvalidPhoneNumber(f"{address!r} is not a Telegram user id")
        return value
    return normalise_phone(address)


def normalise_email(text: str) -> str:
    """Return an email address trimmed, with its domain in lower case.

    Raises:
        InvalidEmail: If `text` does not look like an address.

    """
    value = str(text or "").strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise InvalidEmail(f"{text!r} is not an email address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalise_name(text: str, *, max_length: int = 80) -> str:
    """Return a person's name with surrounding and repeated spaces removed.

    Raises:
        InvalidName: If the name is blank or longer than `max_length`.

    """
    value = " ".join(str(text or "").split())
    if not value:
        raise InvalidName("a name is required")
    if len(value) > max_length:
        raise InvalidName(f"a name may be at most {max_length} characters")
    return value


def luhn_valid(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn check used by payment cards."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _mask_run(run: str) -> str:
    digit_positions = [index for index, char in enumerate(run) if char.isdigit()]
    digits = "".join(run[index] for index in digit_positions)
    # Cards are typed in groups, so a card inside a longer run (a card then its security code) starts and ends
    # at group boundaries; trying only those windows keeps random digit strings from being masked by chance.
    boundaries = [0]
    for count, (left, right) in enumerate(zip(digit_positions, digit_positions[1:], strict=False), start=1):
        if right != left + 1:
            boundaries.append(count)
    boundaries.append(len(digits))
    masked = list(run)
    position = 0
    while True:
        windows = [
            (start, end)
            for start in boundaries
            for end in boundaries
            if start >= position and _CARD_MIN_DIGITS <= end - start <= _CARD_MAX_DIGITS
        ]
        found = next(
            (
                window
                for window in sorted(windows, key=lambda w: (w[0], w[0] - w[1]))
                if luhn_valid(digits[slice(*window)])
            ),
            None,
        )
        if found is None:
            return "".join(masked)
        start, end = found
        for offset in range(start, end - _CARD_VISIBLE_DIGITS):
            masked[digit_positions[offset]] = "*"
        position = end


def mask_card_numbers(text: str) -> str:
    """Replace every payment card number in `text` with asterisks, keeping its last four digits.

    A card number is a Luhn-valid run of 13 to 19 digits, possibly split by spaces or dashes; phone numbers
    and other references are too short or fail the check and are left alone.

    Returns:
        The text with card digits masked ("4111 1111 1111 1111" -> "**** **** **** 1111").

    """
    return _DIGIT_RUN.sub(lambda match: _mask_run(match.group(0)), text)


def clean_text(text: str | None, *, field: str, max_length: int = 4000, required: bool = True) -> str | None:
    """Return free text trimmed and with card numbers masked, ready to store.

    Args:
        text: What the person typed.
        field: The field's name, used in error messages.
        max_length: The longest answer the field accepts.
        required: Whether a blank answer is an error (otherwise it becomes None).

    Raises:
        EmptyDescription: If `required` and the text is blank.
        TextTooLong: If the text is longer than `max_length`.

    """
    value = str(text or "").strip()
    if not value:
        if required:
            raise EmptyDescription(f"{field} must not be blank")
        return None
    if len(value) > max_length:
        raise TextTooLong(f"{field} may be at most {max_length} characters, got {len(value)}")
    return mask_card_numbers(value)


def parse_amount(value: Decimal | int | str, *, field: str = "amount") -> Decimal:
    """Return a positive sum of money as a Decimal with two places ("£12.50" -> Decimal("12.50")).

    Raises:
        InvalidAmount: If `value` is a float (inexact), not a number, zero or negative, or not whole pence.

    """
    if isinstance(value, (float, bool)):
        raise InvalidAmount(f"{field} must be a Decimal, int or string, not {type(value).__name__}")
    try:
        amount = Decimal(str(value).strip().replace("£", "").replace(",", ""))
    except InvalidOperation:
        raise InvalidAmount(f"{field} {value!r} is not a sum of money") from None
    if not amount.is_finite():
        raise InvalidAmount(f"{field} {value!r} is not a sum of money")
    if amount <= 0:
        raise InvalidAmount(f"{field} must be more than zero, got {amount}")
    if amount != amount.quantize(PENNY):
        raise InvalidAmount(f"{field} must be in whole pence, got {amount}")
    if amount >= Decimal("10000000000"):
        raise InvalidAmount(f"{field} {amount} is too large")
    return amount.quantize(PENNY)


def require_text(text: str | None, *, field: str, max_length: int = 4000) -> str:
    """Return required free text trimmed and card-masked (see `clean_text`).

    Raises:
        EmptyDescription: If the text is blank.
        TextTooLong: If the text is longer than `max_length`.

    """
    cleaned = clean_text(text, field=field, max_length=max_length, required=True)
    if cleaned is None:
        raise EmptyDescription(f"{field} must not be blank")
    return cleaned
