"""Repair priorities and their target times (the project's defaults; each landlord sets its own).

Emergency: attend within 24 hours (make safe). Urgent: by the end of the 5th working day after the report.
Routine: by the end of the 20th working day. A vulnerable household (elderly, disabled, young children,
medical need) raises the priority one step before the target is worked out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import Enum

from bot.clocks.calendar import LONDON, WorkingCalendar, add_elapsed_hours, local_date, require_aware, resolve

EMERGENCY_HOURS = 24
"""Hours (elapsed time, not wall-clock) to attend an emergency repair."""

URGENT_WORKING_DAYS = 5
"""Working days, counted from the day after the report, to complete an urgent repair."""

ROUTINE_WORKING_DAYS = 20
"""Working days, counted from the day after the report, to complete a routine repair."""

END_OF_WORKING_DAY = time(17, 0)
"""Local (Europe/London) time at which a working-day target expires on its last day."""


class Priority(str, Enum):
    """How quickly a repair must be done, most urgent first."""

    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


# One step up the ladder; emergency is already the top.
_RAISED = {
    Priority.ROUTINE: Priority.URGENT,
    Priority.URGENT: Priority.EMERGENCY,
    Priority.EMERGENCY: Priority.EMERGENCY,
}


@dataclass(frozen=True)
class RepairTargets:
    """A landlord's repair targets; the defaults are the module constants.

    Attributes:
        emergency_hours: Elapsed hours to attend an emergency.
        urgent_working_days: Working days to complete an urgent repair.
        routine_working_days: Working days to complete a routine repair.
        end_of_day: Local time at which a working-day target expires on its last day.

    """

    emergency_hours: int = EMERGENCY_HOURS
    urgent_working_days: int = URGENT_WORKING_DAYS
    routine_working_days: int = ROUTINE_WORKING_DAYS
    end_of_day: time = END_OF_WORKING_DAY

    def describe(self, priority: Priority | str) -> str:
        """Return the target for `priority` as a tenant would read it, e.g. "within 5 working days"."""
        level = Priority(priority)
        if level is Priority.EMERGENCY:
            return f"within {_plural(self.emergency_hours, 'hour')}"
        if level is Priority.URGENT:
            return f"within {_plural(self.urgent_working_days, 'working day')}"
        return f"within {_plural(self.routine_working_days, 'working day')}"


DEFAULT_REPAIR_TARGETS = RepairTargets()


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def describe_target(priority: Priority | str, targets: RepairTargets | None = None) -> str:
    """Return the human wording of a priority's target ("within 24 hours") for replies to tenants."""
    return (targets or DEFAULT_REPAIR_TARGETS).describe(priority)


def raise_for_vulnerability(priority: Priority | str, vulnerable: bool) -> Priority:
    """Return the priority one step higher for a vulnerable household; emergency stays emergency."""
    level = Priority(priority)
    return _RAISED[level] if vulnerable else level


def repair_target(
    priority: Priority | str,
    reported_at: datetime,
    *,
    vulnerable: bool = False,
    calendar: WorkingCalendar | None = None,
    targets: RepairTargets | None = None,
) -> datetime:
    """Return the instant by which a repair reported at `reported_at` must be done, in Europe/London time.

    Args:
        priority: The assessed priority, before any vulnerability uplift.
        reported_at: When the tenant reported the repair; must be timezone-aware.
        vulnerable: Whether the household is vulnerable, which raises the priority one step first.
        calendar: Working-day calendar; the England & Wales default when None.
        targets: The landlord's targets; the module defaults when None.

    Returns:
        For an emergency, `reported_at` plus the emergency hours of elapsed time; otherwise the end of the
        last allowed working day (17:00 local by default).

    Raises:
        ValueError: If `reported_at` is naive.

    """
    require_aware(reported_at, "reported_at")
    chosen = targets or DEFAULT_REPAIR_TARGETS
    effective = raise_for_vulnerability(priority, vulnerable)
    if effective is Priority.EMERGENCY:
        return add_elapsed_hours(reported_at, chosen.emergency_hours)
    days = chosen.urgent_working_days if effective is Priority.URGENT else chosen.routine_working_days
    last_day = resolve(calendar).add_working_days(local_date(reported_at), days)
    return datetime.combine(last_day, chosen.end_of_day, tzinfo=LONDON)
