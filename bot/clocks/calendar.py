"""Working days in England and the conversion of instants to the local date that starts a statutory clock.

A working day is Monday to Friday, excluding England & Wales bank holidays. The bank holidays come from
the `holidays` package (`GB`, subdivision `ENG`), never from a list typed into this repository, so substitute
days and one-off holidays (a state funeral, a coronation) are included as soon as the package knows them.

Every clock in this package follows one counting rule: the day a clock starts is never counted, so "within 5
working days" of a report made on Monday 1 December 2025 ends on Monday 8 December 2025 (day 1 is Tuesday).
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
"""The zone in which every statutory day begins and ends."""

HOLIDAY_COUNTRY = "GB"
HOLIDAY_SUBDIVISION = "ENG"

# The `holidays` package marks substitute days "(observed)"; GOV.UK and tenants say "(substitute day)".
_PACKAGE_SUBSTITUTE_SUFFIX = " (observed)"
_UK_SUBSTITUTE_SUFFIX = " (substitute day)"

_SATURDAY = 5


def require_aware(moment: datetime, name: str = "datetime") -> datetime:
    """Return `moment` unchanged if it carries a timezone, otherwise refuse it.

    Args:
        moment: The instant to check.
        name: What the caller calls the value, used in the error message.

    Returns:
        The same datetime.

    Raises:
        ValueError: If `moment` is naive, because a naive time could be UTC or London time and the two put a
            report made near midnight on different days.

    """
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(
            f"{name} {moment.isoformat()} has no timezone: a naive time could be UTC or UK local time, "
            "which can fall on different days near midnight; pass a timezone-aware datetime"
        )
    return moment


def to_london(moment: datetime) -> datetime:
    """Convert a timezone-aware instant to Europe/London wall-clock time.

    Raises:
        ValueError: If `moment` is naive.

    """
    return require_aware(moment).astimezone(LONDON)


def local_date(moment: datetime) -> date:
    """Return the date in England on which an instant falls.

    A message at 00:30 BST on Saturday is 23:30 UTC on Friday; it was received on Saturday.

    Raises:
        ValueError: If `moment` is naive.

    """
    return to_london(moment).date()


def add_elapsed_hours(moment: datetime, hours: int) -> datetime:
    """Return the instant `hours` real hours after `moment`, in Europe/London time.

    The sum is done in UTC because adding a timedelta to a London time adds wall-clock hours, which would make
    "24 hours" last 23 or 25 real hours over a clock change.

    Raises:
        ValueError: If `moment` is naive.

    """
    in_utc = require_aware(moment).astimezone(timezone.utc)
    return (in_utc + timedelta(hours=hours)).astimezone(LONDON)


class WorkingCalendar:
    """Weekdays that are not England & Wales bank holidays, with the arithmetic the statutory clocks need.

    Instances are safe to share between threads: each year's holidays are looked up once, under a lock, and
    never changed afterwards.
    """

    def __init__(self, country: str = HOLIDAY_COUNTRY, subdivision: str | None = HOLIDAY_SUBDIVISION) -> None:
        """Create a calendar for the bank holidays of `country` / `subdivision` in the `holidays` package."""
        self._country = country
        self._subdivision = subdivision
        self._years: dict[int, dict[date, str]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WorkingCalendar(country={self._country!r}, subdivision={self._subdivision!r})"

    def _holidays_in(self, year: int) -> dict[date, str]:
        found = self._years.get(year)
        if found is not None:
            return found
        with self._lock:
            found = self._years.get(year)
            if found is None:
                package_days = holidays.country_holidays(self._country, subdiv=self._subdivision, years=year)
                found = {day: str(name) for day, name in package_days.items()}
                self._years[year] = found
        return found

    def bank_holiday_name(self, d: date) -> str | None:
        """Return the name of the bank holiday on `d`, or None if `d` is not one.

        A holiday whose date falls at a weekend is not itself a bank holiday (its substitute day is), so
        Saturday 26 December 2026 gives None and Monday 28 December 2026 gives "Boxing Day (substitute day)".
        """
        if d.weekday() >= _SATURDAY:
            return None
        name = self._holidays_in(d.year).get(d)
        if name is None:
            return None
        # A date can carry two names joined by "; " in the package; each may be a substitute day.
        return name.replace(_PACKAGE_SUBSTITUTE_SUFFIX, _UK_SUBSTITUTE_SUFFIX)

    def is_working_day(self, d: date) -> bool:
        """Return whether `d` is a weekday that is not a bank holiday."""
        return d.weekday() < _SATURDAY and d not in self._holidays_in(d.year)

    def next_working_day(self, d: date) -> date:
        """Return the first working day strictly after `d` (Friday 22 August 2025 gives Tuesday 26 August)."""
        day = d + timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, days: int) -> date:
        """Return the date `days` working days after `start`, never counting `start` itself.

        Day 1 is the first working day after `start`, whether or not `start` is a working day, so a clock that
        starts on a Saturday and one that starts on the Friday before both reach day 1 on Monday.

        Args:
            start: The day the clock starts (receipt, acknowledgement, awareness).
            days: How many working days to count; 0 returns `start` unchanged.

        Raises:
            ValueError: If `days` is negative.

        """
        if days < 0:
            raise ValueError(f"days must be 0 or more, got {days}")
        day = start
        for _ in range(days):
            day = self.next_working_day(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days after `start` up to and including `end`.

        This is the inverse of `add_working_days`: `working_days_between(s, add_working_days(s, n)) == n`. If
        `end` is before `start` the count is negative, so `working_days_between(deadline, today)` is how many
        working days a deadline is overdue by (positive) or how many remain (negative).
        """
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    """Return the shared calendar of England & Wales working days."""
    return WorkingCalendar()


def resolve(calendar: WorkingCalendar | None) -> WorkingCalendar:
    """Return `calendar`, or the shared default calendar when it is None."""
    return calendar if calendar is not None else default_calendar()
