"""Dates, times and money the way a tenant reads them in a text message."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from bot.clocks.calendar import to_london


def day_in_words(day: date) -> str:
    """Return e.g. "Friday 5 December" (the year only when it is not this year's)."""
    text = f"{day:%A} {day.day} {day:%B}"
    if day.year != date.today().year:
        text += f" {day.year}"
    return text


def time_in_words(moment: datetime) -> str:
    """Return a London clock time such as "9am", "12:30pm" or "midnight"."""
    local = to_london(moment)
    if local.hour == 0 and local.minute == 0:
        return "midnight"
    if local.hour == 12 and local.minute == 0:
        return "midday"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def moment_in_words(moment: datetime) -> str:
    """Return e.g. "9am on Friday 5 December" in London time."""
    return f"{time_in_words(moment)} on {day_in_words(to_london(moment).date())}"


def window_in_words(start: datetime, end: datetime) -> str:
    """Return an appointment window such as "Monday 24 November, 8am to 12pm"."""
    return f"{day_in_words(to_london(start).date())}, {time_in_words(start)} to {time_in_words(end)}"


def money(amount: Decimal) -> str:
    """Return pounds with pence and thousands separators, e.g. "£1,234.50"."""
    return f"£{abs(amount):,.2f}"
