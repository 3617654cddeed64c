"""Complaint Handling Code deadlines (DOMAIN.md, Complaints): stage 1 is 5 + 10 working days with at most 10
more by extension; stage 2 is 5 + 20 working days."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.clocks.complaints import (
    Stage1Dates,
    Stage2Dates,
    extend_response,
    stage1_dates,
    stage1_respond_by,
    stage2_dates,
    stage2_respond_by,
)

LONDON = ZoneInfo("Europe/London")


def test_stage1_acknowledge_in_5_and_respond_10_working_days_after_acknowledgement() -> None:
    # Ack: Tue 2 .. Mon 8 Dec. Response: Tue 9 .. Mon 22 Dec 2025.
    dates = stage1_dates(datetime(2025, 12, 1, 10, 0, tzinfo=LONDON))
    assert dates == Stage1Dates(
        received_on=date(2025, 12, 1), acknowledge_by=date(2025, 12, 8), respond_by=date(2025, 12, 22)
    )


def test_stage1_received_friday_before_summer_bank_holiday() -> None:
    # Mon 25 Aug 2025 is skipped: ack Mon 1 Sep; response 10 working days later, Mon 15 Sep.
    dates = stage1_dates(datetime(2025, 8, 22, 14, 0, tzinfo=LONDON))
    assert (dates.acknowledge_by, dates.respond_by) == (date(2025, 9, 1), date(2025, 9, 15))


def test_stage1_response_over_christmas_2025_skips_three_bank_holidays() -> None:
    # Ack Fri 19 Dec. Response: Mon 22, Tue 23, Wed 24, Mon 29, Tue 30, Wed 31, Fri 2, Mon 5, Tue 6,
    # Wed 7 Jan.
    dates = stage1_dates(datetime(2025, 12, 12, 9, 0, tzinfo=LONDON))
    assert (dates.acknowledge_by, dates.respond_by) == (date(2025, 12, 19), date(2026, 1, 7))


def test_stage1_over_easter_2026_skips_good_friday_and_easter_monday() -> None:
    # Received Thu 2 Apr; ack Tue 7 .. Mon 13 Apr; response Tue 14 .. Mon 27 Apr 2026.
    dates = stage1_dates(datetime(2026, 4, 2, 11, 0, tzinfo=LONDON))
    assert (dates.acknowledge_by, dates.respond_by) == (date(2026, 4, 13), date(2026, 4, 27))


def test_stage1_complaint_at_2359_local_thursday_counts_from_thursday() -> None:
    # Day 1 Fri 22 Aug, then Tue 26 .. Fri 29 Aug 2025 (Mon 25 is the Summer bank holiday).
    dates = stage1_dates(datetime(2025, 8, 21, 23, 59, tzinfo=LONDON))
    assert (dates.received_on, dates.acknowledge_by) == (date(2025, 8, 21), date(2025, 8, 29))


def test_stage1_complaint_at_0030_bst_counts_from_the_local_day_not_the_utc_day() -> None:
    # 23:30 UTC Thursday is 00:30 BST Friday 22 Aug 2025: received Friday, so ack Mon 1 Sep.
    dates = stage1_dates(datetime(2025, 8, 21, 23, 30, tzinfo=timezone.utc))
    assert (dates.received_on, dates.acknowledge_by) == (date(2025, 8, 22), date(2025, 9, 1))


def test_stage1_complaint_just_after_midnight_gmt_counts_from_that_day() -> None:
    # 00:15 GMT Fri 5 Dec 2025: day 1 Mon 8, day 5 Fri 12 Dec.
    dates = stage1_dates(datetime(2025, 12, 5, 0, 15, tzinfo=LONDON))
    assert (dates.received_on, dates.acknowledge_by) == (date(2025, 12, 5), date(2025, 12, 12))


def test_stage1_complaint_first_night_of_bst_counts_from_local_monday() -> None:
    # Clocks went forward on Sun 29 Mar 2026; 23:30 UTC that Sunday is 00:30 BST Monday 30 Mar.
    # Day 1 Tue 31, Wed 1, Thu 2 Apr, then Easter: Tue 7 (4), Wed 8 (5).
    dates = stage1_dates(datetime(2026, 3, 29, 23, 30, tzinfo=timezone.utc))
    assert (dates.received_on, dates.acknowledge_by) == (date(2026, 3, 30), date(2026, 4, 8))


def test_stage1_respond_by_runs_from_the_real_acknowledgement_date() -> None:
    # Acknowledged early on Tue 2 Dec 2025: Wed 3 .. Tue 16 Dec is 10 working days.
    assert stage1_respond_by(date(2025, 12, 2)) == date(2025, 12, 16)


def test_stage1_refuses_naive_received_at() -> None:
    with pytest.raises(ValueError, match="received_at"):
        stage1_dates(datetime(2025, 12, 1, 10, 0))


def test_stage2_acknowledge_in_5_and_respond_20_working_days_over_easter() -> None:
    # Escalated Mon 2 Mar 2026; ack Mon 9 Mar; 20 working days skipping Good Friday and Easter Monday:
    # Wed 8 Apr.
    dates = stage2_dates(datetime(2026, 3, 2, 16, 0, tzinfo=LONDON))
    assert dates == Stage2Dates(
        escalated_on=date(2026, 3, 2), acknowledge_by=date(2026, 3, 9), respond_by=date(2026, 4, 8)
    )


def test_stage2_over_christmas_2026_skips_boxing_day_substitute_and_new_year() -> None:
    # Escalated Wed 23 Dec 2026: Thu 24 (1), Tue 29 (2), Wed 30, Thu 31, Mon 4 Jan 2027 (5).
    # Response 20 working days after Mon 4 Jan 2027: Mon 1 Feb 2027.
    dates = stage2_dates(datetime(2026, 12, 23, 12, 0, tzinfo=LONDON))
    assert (dates.acknowledge_by, dates.respond_by) == (date(2027, 1, 4), date(2027, 2, 1))


def test_stage2_respond_by_runs_from_the_real_acknowledgement_date() -> None:
    assert stage2_respond_by(date(2027, 1, 4)) == date(2027, 2, 1)


def test_stage2_refuses_naive_escalated_at() -> None:
    with pytest.raises(ValueError, match="escalated_at"):
        stage2_dates(datetime(2026, 3, 2, 16, 0))


def test_extension_of_the_maximum_10_working_days_over_christmas() -> None:
    # From Mon 22 Dec 2025: Tue 23, Wed 24, Mon 29, Tue 30, Wed 31, Fri 2, Mon 5, Tue 6, Wed 7, Thu 8 Jan.
    assert extend_response(date(2025, 12, 22), 10) == date(2026, 1, 8)


def test_extension_of_one_day_from_friday_before_bank_holiday_lands_on_tuesday() -> None:
    assert extend_response(date(2025, 8, 22), 1) == date(2025, 8, 26)


@pytest.mark.parametrize("working_days", [11, 0, -1])
def test_extension_outside_1_to_10_working_days_is_refused(working_days: int) -> None:
    with pytest.raises(ValueError):
        extend_response(date(2025, 12, 22), working_days)


def test_second_extension_that_would_exceed_10_working_days_in_total_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 10 working days"):
        extend_response(date(2026, 1, 8), 6, already_extended=5)
    assert extend_response(date(2025, 12, 29), 5, already_extended=5) == date(2026, 1, 6)
