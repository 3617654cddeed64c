"""Human-readable references tenants can quote on the phone, such as REP-004217K.

A reference is a three-letter prefix naming the kind of record, a number of at least six digits and a check
letter. The number comes from a counter row per prefix that is incremented by an UPDATE inside the transaction
that creates the record: the database serialises concurrent writers on that row (a row lock on PostgreSQL, the
single writer on SQLite), so two records can never get the same number, and a rolled-back record gives its
number back. The lock is held until commit, which is why services keep these transactions short.

The check letter is a weighted sum of the prefix and digits modulo 23 (a prime), so any single mistyped
character and any swap of two neighbouring characters gives a different letter and is refused rather than
finding somebody else's record.
"""

from __future__ import annotations

import re
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.housing._sql import insert_ignore
from bot.housing.errors import InvalidReference
from bot.housing.models import ReferenceCounter

REPAIR: Final = "REP"
HAZARD: Final = "HAZ"
COMPLAINT: Final = "CMP"
ASB: Final = "ASB"
WELFARE: Final = "WEL"
FEEDBACK: Final = "FBK"
CONTACT_CHANGE: Final = "CON"
TENANCY_END: Final = "END"
HANDOFF: Final = "HND"
INCOME_TASK: Final = "INC"

PREFIXES: Final = frozenset(
    {REPAIR, HAZARD, COMPLAINT, ASB, WELFARE, FEEDBACK, CONTACT_CHANGE, TENANCY_END, HANDOFF, INCOME_TASK}
)

NUMBER_WIDTH: Final = 6
# 23 letters: I, O and U are left out because they are read as 1, 0 and V.
CHECK_LETTERS: Final = "ABCDEFGHJKLMNPQRSTVWXYZ"

_REFERENCE = re.compile(r"^([A-Z]{3})[\s-]*(\d{1,9})[\s-]*([A-Z])$")


def _char_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def check_letter(prefix: str, number: int) -> str:
    """Return the check letter for `prefix` and `number`."""
    body = f"{prefix}{number:0{NUMBER_WIDTH}d}"
    total = sum(_char_value(char) * weight for weight, char in enumerate(body, start=1))
    return CHECK_LETTERS[total % len(CHECK_LETTERS)]


def format_reference(prefix: str, number: int) -> str:
    """Return the reference for `number` under `prefix`, e.g. ("REP", 4217) -> "REP-004217K"."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown reference prefix {prefix!r}")
    if number < 1:
        raise ValueError(f"reference numbers start at 1, got {number}")
    return f"{prefix}-{number:0{NUMBER_WIDTH}d}{check_letter(prefix, number)}"


def parse_reference(text: str, prefix: str | None = None) -> str:
    """Return a reference as typed ("rep 4217 k", "REP-004217-K") in canonical form ("REP-004217K").

    Args:
        text: The reference as the tenant wrote it, in any case, with or without spaces, dashes or zeros.
        prefix: The prefix the caller expects (e.g. "REP"); None accepts any known prefix.

    Raises:
        InvalidReference: If the text is not a reference, has an unexpected prefix, or its check letter does
            not match (a character was mistyped).

    """
    match = _REFERENCE.match(str(text or "").strip().upper())
    if match is None:
        raise InvalidReference(f"{text!r} is not a reference like REP-004217K")
    found_prefix, digits, letter = match.groups()
    if found_prefix not in PREFIXES or (prefix is not None and found_prefix != prefix):
        wanted = prefix or "a known prefix"
        raise InvalidReference(f"{text!r} does not start with {wanted}")
    number = int(digits)
    if number < 1 or letter != check_letter(found_prefix, number):
        raise InvalidReference(f"{text!r} does not check out; a character may have been mistyped")
    return format_reference(found_prefix, number)


def next_reference(session: Session, prefix: str) -> str:
    """Allocate the next reference under `prefix` inside the session's transaction.

    The counter row stays locked until the transaction ends, so call this as late as possible and commit soon.
    """
    if prefix not in PREFIXES:
        raise ValueError(f"unknown reference prefix {prefix!r}")
    counters = ReferenceCounter.__table__
    bump = update(counters).where(counters.c.prefix == prefix).values(last_value=counters.c.last_value + 1)
    if session.execute(bump).rowcount == 0:
        # First use of this prefix: create its counter (once, even if two transactions race to), then bump it.
        insert_ignore(session, counters, {"prefix": prefix, "last_value": 0}, conflict_columns=["prefix"])
        session.execute(bump)
    number = session.execute(select(counters.c.last_value).where(counters.c.prefix == prefix)).scalar_one()
    return format_reference(prefix, int(number))
