"""Awaab's Law deadlines (DOMAIN.md): emergency hazards within 24 hours; significant hazards investigated
within 10 working days, then summary in 3, safety work in 5, preventative work started in 5 and on site within
12 weeks."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.clocks.hazards import (
    HazardSeverity,
    PostInvestigationDates,
    after_investigation,
    hazard_milestones,
)

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc


def _elapsed(start: datetime, end: datetime) -> timedelta:
    # Subtracting two datetimes that share a zone gives wall-clock time; compare in UTC for real time.
    return end.astimezone(UTC) - start.astimezone(UTC)


def test_awaabs_law_emergency_hazard_make_safe_within_24_hours() -> None:
    aware = datetime(2025, 12, 2, 15, 0, tzinfo=LONDON)
    milestones = hazard_milestones(HazardSeverity.EMERGENCY, aware)
    assert milestones.make_safe_by == datetime(2025, 12, 3, 15, 0, tzinfo=UTC)
    assert milestones.investigate_by is None
    assert milestones.summary_by is None


def test_awaabs_law_emergency_clock_runs_through_christmas_day() -> None:
    # Bank holidays do not pause an emergency: 18:00 Christmas Eve is due 18:00 Christmas Day.
    milestones = hazard_milestones(HazardSeverity.EMERGENCY, datetime(2025, 12, 24, 18, 0, tzinfo=LONDON))
    assert milestones.make_safe_by == datetime(2025, 12, 25, 18, 0, tzinfo=UTC)


def test_awaabs_law_emergency_24_real_hours_when_clocks_go_back() -> None:
    # 12:00 BST Sat 25 Oct 2025 (11:00 UTC); BST ends at 02:00 on Sun 26 Oct, so the deadline reads 11:00 GMT.
    aware = datetime(2025, 10, 25, 12, 0, tzinfo=LONDON)
    make_safe_by = hazard_milestones(HazardSeverity.EMERGENCY, aware).make_safe_by
    assert make_safe_by is not None
    assert _elapsed(aware, make_safe_by) == timedelta(hours=24)
    assert (make_safe_by.date(), make_safe_by.hour, make_safe_by.utcoffset()) == (
        date(2025, 10, 26),
        11,
        timedelta(0),
    )


def test_awaabs_law_emergency_24_real_hours_when_clocks_go_forward() -> None:
    # 12:00 GMT Sat 28 Mar 2026; BST starts on Sun 29 Mar, so the deadline reads 13:00 BST.
    aware = datetime(2026, 3, 28, 12, 0, tzinfo=LONDON)
    make_safe_by = hazard_milestones(HazardSeverity.EMERGENCY, aware).make_safe_by
    assert make_safe_by is not None
    assert _elapsed(aware, make_safe_by) == timedelta(hours=24)
    assert (make_safe_by.date(), make_safe_by.hour) == (date(2026, 3, 29), 13)


def test_awaabs_law_emergency_deadline_is_given_in_london_time() -> None:
    milestones = hazard_milestones(HazardSeverity.EMERGENCY, datetime(2025, 7, 1, 8, 0, tzinfo=UTC))
    assert milestones.make_safe_by is not None
    assert milestones.make_safe_by.tzinfo == LONDON
    assert milestones.make_safe_by.hour == 9  # 08:00 UTC is 09:00 BST


def test_awaabs_law_significant_hazard_all_milestones() -> None:
    # Aware Mon 1 Dec 2025. Investigate: Tue 2 .. Mon 15 Dec (10). From Mon 15 Dec: summary Thu 18 Dec (3),
    # safety work and preventative start Mon 22 Dec (5), physical start 12 weeks later on Mon 9 Mar 2026.
    milestones = hazard_milestones(HazardSeverity.SIGNIFICANT, datetime(2025, 12, 1, 9, 0, tzinfo=LONDON))
    assert milestones.make_safe_by is None
    assert milestones.aware_on == date(2025, 12, 1)
    assert milestones.investigate_by == date(2025, 12, 15)
    assert milestones.summary_by == date(2025, 12, 18)
    assert milestones.safety_work_by == date(2025, 12, 22)
    assert milestones.preventative_start_by == date(2025, 12, 22)
    assert milestones.physical_start_by == date(2026, 3, 9)


def test_awaabs_law_significant_hazard_over_christmas_and_new_year() -> None:
    # Aware Fri 12 Dec 2025: investigate Mon 15 .. Wed 24, Mon 29, Tue 30 Dec (10).
    # Summary: Wed 31, Fri 2 Jan, Mon 5 Jan (3). Safety work: Tue 6, Wed 7 Jan (5).
    # On site by Tue 24 Mar 2026 (12 calendar weeks).
    milestones = hazard_milestones(HazardSeverity.SIGNIFICANT, datetime(2025, 12, 12, 16, 0, tzinfo=LONDON))
    assert milestones.investigate_by == date(2025, 12, 30)
    assert milestones.summary_by == date(2026, 1, 5)
    assert milestones.safety_work_by == date(2026, 1, 7)
    assert milestones.physical_start_by == date(2026, 3, 24)


def test_awaabs_law_significant_hazard_reported_2359_friday_before_bank_holiday() -> None:
    # Aware Fri 22 Aug 2025 (local): Tue 26 .. Fri 29 Aug (4), Mon 1 .. Fri 5 Sep (9), Mon 8 Sep (10).
    milestones = hazard_milestones("significant", datetime(2025, 8, 22, 23, 59, tzinfo=LONDON))
    assert milestones.severity is HazardSeverity.SIGNIFICANT
    assert milestones.investigate_by == date(2025, 9, 8)


def test_awaabs_law_significant_hazard_aware_date_is_local_after_midnight_bst() -> None:
    # 23:30 UTC Fri 22 Aug is 00:30 BST Sat 23 Aug; the investigation deadline is unchanged (Mon 8 Sep).
    milestones = hazard_milestones(HazardSeverity.SIGNIFICANT, datetime(2025, 8, 22, 23, 30, tzinfo=UTC))
    assert milestones.aware_on == date(2025, 8, 23)
    assert milestones.investigate_by == date(2025, 9, 8)


def test_awaabs_law_after_investigation_ending_before_easter_2026() -> None:
    # Ended Thu 2 Apr 2026; Good Friday and Easter Monday skipped: summary Thu 9 Apr, safety work Mon 13 Apr.
    assert after_investigation(date(2026, 4, 2)) == PostInvestigationDates(
        investigation_ended_on=date(2026, 4, 2),
        summary_by=date(2026, 4, 9),
        safety_work_by=date(2026, 4, 13),
        preventative_start_by=date(2026, 4, 13),
        physical_start_by=date(2026, 6, 25),
    )


def test_awaabs_law_12_week_physical_start_is_calendar_weeks_not_moved_off_bank_holiday() -> None:
    # Mon 2 Jun 2025 + 12 weeks is Mon 25 Aug 2025, the Summer bank holiday; the deadline stays put.
    assert after_investigation(date(2025, 6, 2)).physical_start_by == date(2025, 8, 25)


def test_hazard_milestones_refuses_naive_aware_at() -> None:
    with pytest.raises(ValueError, match="aware_at"):
        hazard_milestones(HazardSeverity.EMERGENCY, datetime(2025, 12, 2, 15, 0))


def test_hazard_milestones_refuses_unknown_severity() -> None:
    with pytest.raises(ValueError):
        hazard_milestones("moderate", datetime(2025, 12, 2, 15, 0, tzinfo=LONDON))
