"""Awaab's Law deadlines: the Hazards in Social Housing (Prescribed Requirements) (England) Regulations 2025.

Emergency hazard: investigate and make safe within 24 hours of the landlord becoming aware (an instant, not
a date). Significant hazard (phase 1 covers damp and mould): investigate within 10 working days of becoming
aware; then, counted from the day the investigation ends, a written summary within 3 working days, safety
work within 5 working days, preventative work started (or steps taken) within 5 working days and physically
started within 12 calendar weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from bot.clocks.calendar import LONDON, WorkingCalendar, add_elapsed_hours, local_date, require_aware, resolve

AWAABS_LAW_IN_FORCE_ON = date(2025, 10, 27)
"""First day on which the regulations apply (phase 1)."""

EMERGENCY_HOURS = 24
"""Hours (elapsed time, not wall-clock) to investigate and make safe an emergency hazard."""

# The periods below are working days, counted from the day after the event named.
INVESTIGATION_WORKING_DAYS = 10  # from becoming aware of a significant hazard
WRITTEN_SUMMARY_WORKING_DAYS = 3  # from the investigation ending
SAFETY_WORK_WORKING_DAYS = 5  # from the investigation ending
PREVENTATIVE_START_WORKING_DAYS = 5  # from the investigation ending

PHYSICAL_START_WEEKS = 12
"""Calendar weeks from the investigation ending to physically starting preventative work."""


class HazardSeverity(str, Enum):
    """How serious a hazard is under Awaab's Law."""

    EMERGENCY = "emergency"
    SIGNIFICANT = "significant"


@dataclass(frozen=True)
class PostInvestigationDates:
    """Deadlines for a significant hazard that run from the day its investigation ended.

    Attributes:
        investigation_ended_on: The local date the investigation ended.
        summary_by: Last day to give the tenant a written summary of the findings.
        safety_work_by: Last day to complete the work needed to make the home safe.
        preventative_start_by: Last day to start (or take steps towards) preventative work.
        physical_start_by: Last day for preventative work to physically start on site.

    """

    investigation_ended_on: date
    summary_by: date
    safety_work_by: date
    preventative_start_by: date
    physical_start_by: date


@dataclass(frozen=True)
class HazardMilestones:
    """Every Awaab's Law deadline for one hazard report.

    Attributes:
        aware_at: When the landlord became aware, in Europe/London time.
        severity: Emergency or significant.
        make_safe_by: Emergency only: the instant by which the hazard must be both investigated and made safe.
        investigate_by: Significant only: last day for the investigation.
        summary_by: Significant only: last day for the written summary, assuming the investigation ends on
            `investigate_by`.
        safety_work_by: Significant only: last day for safety work, on the same assumption.
        preventative_start_by: Significant only: last day to start preventative work, on the same assumption.
        physical_start_by: Significant only: last day for preventative work to start on site, same assumption.

    """

    aware_at: datetime
    severity: HazardSeverity
    make_safe_by: datetime | None
    investigate_by: date | None
    summary_by: date | None = None
    safety_work_by: date | None = None
    preventative_start_by: date | None = None
    physical_start_by: date | None = None

    @property
    def aware_on(self) -> date:
        """Return the local date on which the landlord became aware."""
        return self.aware_at.date()


def after_investigation(
    investigation_ended_on: date, calendar: WorkingCalendar | None = None
) -> PostInvestigationDates:
    """Compute the deadlines that follow the end of a significant hazard's investigation.

    Args:
        investigation_ended_on: The local date the investigation ended.
        calendar: Working-day calendar; the England & Wales default when None.

    """
    cal = resolve(calendar)
    return PostInvestigationDates(
        investigation_ended_on=investigation_ended_on,
        summary_by=cal.add_working_days(investigation_ended_on, WRITTEN_SUMMARY_WORKING_DAYS),
        safety_work_by=cal.add_working_days(investigation_ended_on, SAFETY_WORK_WORKING_DAYS),
        preventative_start_by=cal.add_working_days(investigation_ended_on, PREVENTATIVE_START_WORKING_DAYS),
        # A calendar period: the regulations say weeks, not working days, so bank holidays do not move it.
        physical_start_by=investigation_ended_on + timedelta(weeks=PHYSICAL_START_WEEKS),
    )


def hazard_milestones(
    severity: HazardSeverity | str, aware_at: datetime, calendar: WorkingCalendar | None = None
) -> HazardMilestones:
    """Compute the Awaab's Law deadlines for a hazard the landlord became aware of at `aware_at`.

    Args:
        severity: Emergency or significant (a plain "emergency"/"significant" string is accepted too).
        aware_at: When the landlord became aware; must be timezone-aware.
        calendar: Working-day calendar; the England & Wales default when None.

    Raises:
        ValueError: If `aware_at` is naive or `severity` is not a known severity.

    """
    level = HazardSeverity(severity)
    aware_local = require_aware(aware_at, "aware_at").astimezone(LONDON)
    if level is HazardSeverity.EMERGENCY:
        return HazardMilestones(
            aware_at=aware_local,
            severity=level,
            make_safe_by=add_elapsed_hours(aware_local, EMERGENCY_HOURS),
            investigate_by=None,
        )
    cal = resolve(calendar)
    investigate_by = cal.add_working_days(local_date(aware_local), INVESTIGATION_WORKING_DAYS)
    follow_up = after_investigation(investigate_by, cal)
    return HazardMilestones(
        aware_at=aware_local,
        severity=level,
        make_safe_by=None,
        investigate_by=investigate_by,
        summary_by=follow_up.summary_by,
        safety_work_by=follow_up.safety_work_by,
        preventative_start_by=follow_up.preventative_start_by,
        physical_start_by=follow_up.physical_start_by,
    )
