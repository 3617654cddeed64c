"""Repair priority targets (DOMAIN.md, Repair priorities): emergency 24 hours, urgent 5 working days, routine
20 working days; a vulnerable household raises the priority one step."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.clocks.repairs import (
    Priority,
    RepairTargets,
    describe_target,
    raise_for_vulnerability,
    repair_target,
)

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        (Priority.ROUTINE, Priority.URGENT),
        (Priority.URGENT, Priority.EMERGENCY),
        (Priority.EMERGENCY, Priority.EMERGENCY),
    ],
)
def test_vulnerable_household_raises_priority_one_step(priority: Priority, expected: Priority) -> None:
    assert raise_for_vulnerability(priority, vulnerable=True) is expected


@pytest.mark.parametrize("priority", list(Priority))
def test_household_not_vulnerable_keeps_priority(priority: Priority) -> None:
    assert raise_for_vulnerability(priority, vulnerable=False) is priority


def test_emergency_repair_target_is_24_hours_after_report() -> None:
    target = repair_target(Priority.EMERGENCY, datetime(2025, 12, 2, 10, 15, tzinfo=LONDON))
    assert target == datetime(2025, 12, 3, 10, 15, tzinfo=UTC)
    assert target.tzinfo == LONDON


def test_emergency_repair_target_is_24_real_hours_when_clocks_go_back() -> None:
    # 20:00 BST Sat 25 Oct 2025 (19:00 UTC) + 24 h = 19:00 GMT Sun 26 Oct, not 20:00.
    target = repair_target(Priority.EMERGENCY, datetime(2025, 10, 25, 20, 0, tzinfo=LONDON))
    assert target == datetime(2025, 10, 26, 19, 0, tzinfo=UTC)
    assert (target.hour, target.utcoffset()) == (19, timedelta(0))


def test_emergency_repair_target_is_24_real_hours_when_clocks_go_forward() -> None:
    # 22:00 GMT Sat 28 Mar 2026 + 24 h = 22:00 UTC Sun 29 Mar, which reads 23:00 BST.
    target = repair_target(Priority.EMERGENCY, datetime(2026, 3, 28, 22, 0, tzinfo=LONDON))
    assert target == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert (target.hour, target.utcoffset()) == (23, timedelta(hours=1))


def test_urgent_repair_reported_2359_friday_before_summer_bank_holiday() -> None:
    # Received Fri 22 Aug 2025; Mon 25 Aug is skipped: Tue 26 .. Fri 29 (4), Mon 1 Sep (5), 17:00 BST.
    target = repair_target(Priority.URGENT, datetime(2025, 8, 22, 23, 59, tzinfo=LONDON))
    assert target == datetime(2025, 9, 1, 17, 0, tzinfo=LONDON)
    assert target.utcoffset() == timedelta(hours=1)


def test_urgent_repair_at_2359_thursday_and_0030_bst_friday_have_different_targets() -> None:
    # Thu 21 Aug: Fri 22 (1), Tue 26 .. Fri 29 (5). 23:30 UTC Thu is 00:30 BST Fri: day 5 is Mon 1 Sep.
    thursday = repair_target(Priority.URGENT, datetime(2025, 8, 21, 23, 59, tzinfo=LONDON))
    friday = repair_target(Priority.URGENT, datetime(2025, 8, 21, 23, 30, tzinfo=UTC))
    assert thursday.date() == date(2025, 8, 29)
    assert friday.date() == date(2025, 9, 1)


def test_urgent_repair_just_after_midnight_gmt_counts_from_that_day() -> None:
    # 00:10 GMT Fri 5 Dec 2025: Mon 8 .. Fri 12 Dec.
    target = repair_target(Priority.URGENT, datetime(2025, 12, 5, 0, 10, tzinfo=LONDON))
    assert target == datetime(2025, 12, 12, 17, 0, tzinfo=UTC)


def test_urgent_repair_over_easter_2025_skips_good_friday_and_easter_monday() -> None:
    # Reported Thu 17 Apr 2025: Tue 22 (1) .. Fri 25 (4), Mon 28 Apr (5).
    target = repair_target(Priority.URGENT, datetime(2025, 4, 17, 12, 0, tzinfo=LONDON))
    assert target == datetime(2025, 4, 28, 17, 0, tzinfo=LONDON)


def test_urgent_repair_over_christmas_2026_skips_boxing_day_substitute() -> None:
    # Wed 23 Dec 2026: Thu 24 (1), [Fri 25, Mon 28 substitute], Tue 29, Wed 30, Thu 31, [Fri 1 Jan],
    # Mon 4 Jan (5).
    target = repair_target(Priority.URGENT, datetime(2026, 12, 23, 9, 0, tzinfo=LONDON))
    assert target == datetime(2027, 1, 4, 17, 0, tzinfo=UTC)


def test_urgent_repair_target_stays_1700_local_after_clocks_go_back() -> None:
    # Reported Wed 22 Oct 2025 (BST); day 5 is Wed 29 Oct, after BST ends: 17:00 GMT.
    target = repair_target(Priority.URGENT, datetime(2025, 10, 22, 10, 0, tzinfo=LONDON))
    assert target == datetime(2025, 10, 29, 17, 0, tzinfo=UTC)
    assert (target.hour, target.minute, target.utcoffset()) == (17, 0, timedelta(0))


def test_routine_repair_target_is_end_of_20th_working_day_over_christmas() -> None:
    # Mon 1 Dec 2025: Tue 2 .. Mon 22 (15), Tue 23, Wed 24, Mon 29, Tue 30, Wed 31 Dec (20).
    target = repair_target(Priority.ROUTINE, datetime(2025, 12, 1, 9, 0, tzinfo=LONDON))
    assert target == datetime(2025, 12, 31, 17, 0, tzinfo=UTC)


def test_routine_repair_for_vulnerable_household_gets_urgent_target() -> None:
    target = repair_target(Priority.ROUTINE, datetime(2025, 12, 1, 9, 0, tzinfo=LONDON), vulnerable=True)
    assert target == datetime(2025, 12, 8, 17, 0, tzinfo=UTC)


def test_urgent_repair_for_vulnerable_household_gets_24_hour_emergency_target() -> None:
    target = repair_target(Priority.URGENT, datetime(2025, 12, 1, 9, 0, tzinfo=LONDON), vulnerable=True)
    assert target == datetime(2025, 12, 2, 9, 0, tzinfo=UTC)


def test_repair_target_refuses_naive_reported_at() -> None:
    with pytest.raises(ValueError, match="reported_at"):
        repair_target(Priority.URGENT, datetime(2025, 12, 1, 9, 0))


def test_repair_target_descriptions_for_tenant_replies() -> None:
    assert describe_target(Priority.EMERGENCY) == "within 24 hours"
    assert describe_target(Priority.URGENT) == "within 5 working days"
    assert describe_target(Priority.ROUTINE) == "within 20 working days"


def test_landlord_tuned_targets_change_both_deadline_and_wording() -> None:
    targets = RepairTargets(urgent_working_days=3, end_of_day=time(18, 0))
    # Mon 1 Dec 2025: Tue 2, Wed 3, Thu 4 Dec at 18:00 GMT.
    target = repair_target(Priority.URGENT, datetime(2025, 12, 1, 9, 0, tzinfo=LONDON), targets=targets)
    assert target == datetime(2025, 12, 4, 18, 0, tzinfo=UTC)
    assert describe_target(Priority.URGENT, targets) == "within 3 working days"
