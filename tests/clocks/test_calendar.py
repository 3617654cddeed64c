"""Working days in England: weekends and England & Wales bank holidays are not counted (DOMAIN.md)."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest

from bot.clocks.calendar import WorkingCalendar, add_elapsed_hours, default_calendar, local_date

LONDON = ZoneInfo("Europe/London")

# As published on GOV.UK for England and Wales; the code reads the `holidays` package, so this is an
# independent check of both the package and the subdivision we ask it for.
GOV_UK_BANK_HOLIDAYS = {
    date(2025, 1, 1),  # New Year's Day
    date(2025, 4, 18),  # Good Friday
    date(2025, 4, 21),  # Easter Monday
    date(2025, 5, 5),  # Early May bank holiday
    date(2025, 5, 26),  # Spring bank holiday
    date(2025, 8, 25),  # Summer bank holiday
    date(2025, 12, 25),  # Christmas Day
    date(2025, 12, 26),  # Boxing Day
    date(2026, 1, 1),  # New Year's Day
    date(2026, 4, 3),  # Good Friday
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 4),  # Early May bank holiday
    date(2026, 5, 25),  # Spring bank holiday
    date(2026, 8, 31),  # Summer bank holiday
    date(2026, 12, 25),  # Christmas Day
    date(2026, 12, 28),  # Boxing Day (substitute day)
}


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def test_non_working_weekdays_2025_2026_match_gov_uk_bank_holidays(cal: WorkingCalendar) -> None:
    weekdays_off = {d for d in _days(date(2025, 1, 1), date(2026, 12, 31)) if d.weekday() < 5}
    weekdays_off = {d for d in weekdays_off if not cal.is_working_day(d)}
    assert weekdays_off == GOV_UK_BANK_HOLIDAYS


def test_is_working_day_agrees_with_holidays_package_for_england(cal: WorkingCalendar) -> None:
    package = holidays.country_holidays("GB", subdiv="ENG", years=[2025, 2026, 2027])
    for d in _days(date(2025, 1, 1), date(2027, 12, 31)):
        assert cal.is_working_day(d) == (d.weekday() < 5 and d not in package), d


def test_scottish_bank_holiday_2_january_2026_is_a_working_day_in_england(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2026, 1, 2))


def test_friday_before_summer_bank_holiday_next_working_day_is_tuesday(cal: WorkingCalendar) -> None:
    # Monday 25 August 2025 is the Summer bank holiday.
    assert cal.bank_holiday_name(date(2025, 8, 25)) is not None
    assert "summer bank holiday" in (cal.bank_holiday_name(date(2025, 8, 25)) or "").lower()
    assert cal.next_working_day(date(2025, 8, 22)) == date(2025, 8, 26)


def test_five_working_days_from_friday_before_summer_bank_holiday_is_monday_week(
    cal: WorkingCalendar,
) -> None:
    # Tue 26, Wed 27, Thu 28, Fri 29 Aug, Mon 1 Sep.
    assert cal.add_working_days(date(2025, 8, 22), 5) == date(2025, 9, 1)


def test_start_day_is_never_counted(cal: WorkingCalendar) -> None:
    # Day 1 is Tue 2 Dec; day 5 is Mon 8 Dec 2025.
    assert cal.add_working_days(date(2025, 12, 1), 5) == date(2025, 12, 8)
    # Starting on a Saturday, day 1 is still the Monday after.
    assert cal.add_working_days(date(2025, 12, 6), 1) == date(2025, 12, 8)


def test_christmas_2025_skips_christmas_boxing_day_and_new_years_day(cal: WorkingCalendar) -> None:
    # Thu 25 and Fri 26 Dec, then Thu 1 Jan 2026: Mon 29, Tue 30, Wed 31, Fri 2 Jan, Mon 5 Jan.
    assert cal.add_working_days(date(2025, 12, 24), 5) == date(2026, 1, 5)


def test_christmas_2026_boxing_day_substitute_is_monday_28_december(cal: WorkingCalendar) -> None:
    # Christmas Day is Friday, Boxing Day Saturday, so Monday 28 December is the substitute day.
    assert not cal.is_working_day(date(2026, 12, 28))
    assert cal.bank_holiday_name(date(2026, 12, 28)) == "Boxing Day (substitute day)"
    assert cal.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)


def test_boxing_day_on_a_saturday_is_not_named_a_bank_holiday(cal: WorkingCalendar) -> None:
    assert cal.bank_holiday_name(date(2026, 12, 26)) is None


def test_christmas_2027_both_substitute_days_are_skipped(cal: WorkingCalendar) -> None:
    # 25 Dec 2027 is a Saturday and 26 Dec a Sunday: substitute days Mon 27 and Tue 28 December.
    assert cal.bank_holiday_name(date(2027, 12, 27)) == "Christmas Day (substitute day)"
    assert cal.bank_holiday_name(date(2027, 12, 28)) == "Boxing Day (substitute day)"
    assert cal.next_working_day(date(2027, 12, 24)) == date(2027, 12, 29)


def test_new_years_day_on_a_saturday_gives_monday_substitute(cal: WorkingCalendar) -> None:
    # 1 January 2022 was a Saturday; Monday 3 January 2022 was the bank holiday.
    assert cal.bank_holiday_name(date(2022, 1, 3)) == "New Year's Day (substitute day)"
    assert cal.next_working_day(date(2021, 12, 31)) == date(2022, 1, 4)


def test_easter_2025_good_friday_and_easter_monday_are_skipped(cal: WorkingCalendar) -> None:
    assert cal.bank_holiday_name(date(2025, 4, 18)) == "Good Friday"
    assert cal.bank_holiday_name(date(2025, 4, 21)) == "Easter Monday"
    assert cal.next_working_day(date(2025, 4, 17)) == date(2025, 4, 22)


def test_easter_2026_two_working_days_after_maundy_thursday(cal: WorkingCalendar) -> None:
    # Good Friday 3 Apr and Easter Monday 6 Apr 2026: Tue 7 (1), Wed 8 (2).
    assert cal.add_working_days(date(2026, 4, 2), 2) == date(2026, 4, 8)


def test_add_zero_working_days_returns_start(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2025, 12, 25), 0) == date(2025, 12, 25)


def test_add_negative_working_days_is_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        cal.add_working_days(date(2025, 12, 1), -1)


def test_working_days_between_counts_after_start_up_to_end(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(date(2025, 8, 22), date(2025, 9, 1)) == 5
    assert cal.working_days_between(date(2025, 8, 22), date(2025, 8, 22)) == 0
    # Over Easter 2025 only Tue 22 April is a working day.
    assert cal.working_days_between(date(2025, 4, 17), date(2025, 4, 22)) == 1


def test_working_days_between_is_negative_when_end_is_before_start(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(date(2025, 9, 1), date(2025, 8, 22)) == -5


def test_working_days_between_inverts_add_working_days_over_christmas(cal: WorkingCalendar) -> None:
    for start in _days(date(2025, 12, 15), date(2026, 1, 10)):
        for n in (1, 5, 10, 20):
            assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_report_at_2359_local_on_friday_is_received_that_friday() -> None:
    assert local_date(datetime(2025, 8, 22, 23, 59, tzinfo=LONDON)) == date(2025, 8, 22)


def test_report_at_0030_bst_is_received_next_day_although_utc_is_still_friday() -> None:
    just_after_midnight_bst = datetime(2025, 8, 22, 23, 30, tzinfo=timezone.utc)
    assert local_date(just_after_midnight_bst) == date(2025, 8, 23)


def test_report_just_after_midnight_gmt_is_received_that_day() -> None:
    # In winter local time is UTC, so 23:30 UTC is still the same evening.
    assert local_date(datetime(2025, 12, 5, 23, 30, tzinfo=timezone.utc)) == date(2025, 12, 5)
    assert local_date(datetime(2025, 12, 6, 0, 30, tzinfo=timezone.utc)) == date(2025, 12, 6)


def test_naive_datetime_is_refused_with_reason() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        local_date(datetime(2025, 8, 22, 23, 59))


def test_24_elapsed_hours_over_clocks_going_back_read_one_hour_earlier() -> None:
    # 26 Oct 2025: BST ends, so 12:00 BST Saturday + 24 h is 11:00 GMT Sunday.
    result = add_elapsed_hours(datetime(2025, 10, 25, 12, 0, tzinfo=LONDON), 24)
    assert (result.hour, result.date()) == (11, date(2025, 10, 26))


def test_default_calendar_is_shared() -> None:
    assert default_calendar() is default_calendar()
