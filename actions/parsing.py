"""Reading dates, numbers and choices out of what tenants type."""

from __future__ import annotations

import re
from datetime import date

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february", "febuary"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_NUMERIC = re.compile(r"\b(\d{1,4})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d{2,4})\b")
_DAY_MONTH_NAME = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]{3,9})\.?,?\s+(\d{2,4})\b")
_MONTH_NAME_DAY = re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{2,4})\b")
ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _full_year(year: int, today: date, *, past: bool) -> int:
    if year >= 100:
        return year
    # Two-digit years: a birth date is in the past, so "68" is 1968; a future date is this century.
    if past:
        return 2000 + year if 2000 + year <= today.year else 1900 + year
    return 2000 + year


def parse_date(text: str, *, today: date, past: bool) -> date | None:
    """Read a date written the British way: 14/03/1968, 14-3-68, 14 March 1968, 14th of march 68, 1968-03-14.

    Args:
        text: What the tenant typed.
        today: The current date, for two-digit years.
        past: Whether the date is expected in the past (a date of birth) rather than the future.

    Returns:
        The date, or None when the text holds no valid date.
    """
    lowered = text.lower()
    candidates: list[tuple[int, int, int]] = []
    for first, second, third in _NUMERIC.findall(lowered):
        if len(first) == 4:  # ISO: year-month-day
            candidates.append((int(first), int(second), int(third)))
        else:  # day/month/year, as written in the UK
            candidates.append((_full_year(int(third), today, past=past), int(second), int(first)))
    for day, month_name, year in _DAY_MONTH_NAME.findall(lowered):
        if month_name in MONTHS:
            candidates.append((_full_year(int(year), today, past=past), MONTHS[month_name], int(day)))
    for month_name, day, year in _MONTH_NAME_DAY.findall(lowered):
        if month_name in MONTHS:
            candidates.append((_full_year(int(year), today, past=past), MONTHS[month_name], int(day)))
    for year, month, day in candidates:
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


def parse_choice(text: str, count: int) -> int | None:
    """Read which of `count` numbered options the tenant picked ("2", "option 2", "the second one").

    Returns:
        The zero-based index, or None when the text picks none of them.
    """
    lowered = text.lower()
    numbers = re.findall(r"\b(\d+)\b", lowered)
    picked: int | None = None
    if len(numbers) == 1:
        picked = int(numbers[0])
    else:
        for word in re.findall(r"[a-z0-9]+", lowered):
            if word in ORDINAL_WORDS:
                picked = ORDINAL_WORDS[word]
                break
            if word in NUMBER_WORDS:
                picked = NUMBER_WORDS[word]
                break
    if picked is None or not 1 <= picked <= count:
        return None
    return picked - 1
