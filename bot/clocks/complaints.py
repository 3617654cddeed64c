"""Complaint deadlines under the Housing Ombudsman's Complaint Handling Code (statutory since 1 April 2024).

Stage 1: acknowledge within 5 working days of receipt; respond within 10 working days of the
acknowledgement; the response may be extended by at most 10 more working days. Stage 2 (escalation):
acknowledge within 5 working days; respond within 20 working days of the acknowledgement. All periods are
working days in England (see `bot.clocks.calendar`), counted from the day after the event that starts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.clocks.calendar import WorkingCalendar, local_date, require_aware, resolve

# All periods below are in working days.
STAGE1_ACKNOWLEDGE_WORKING_DAYS = 5
STAGE1_RESPONSE_WORKING_DAYS = 10
STAGE2_ACKNOWLEDGE_WORKING_DAYS = 5
STAGE2_RESPONSE_WORKING_DAYS = 20
# One cap for both stages: the Code sets the same 10 working days for a stage 2 extension as for stage 1.
MAX_EXTENSION_WORKING_DAYS = 10


@dataclass(frozen=True)
class Stage1Dates:
    """Stage 1 deadlines for one complaint, as dates in England.

    Attributes:
        received_on: The local date the complaint was received.
        acknowledge_by: Last day to acknowledge, define and log it.
        respond_by: Last day for the full response, assuming acknowledgement on `acknowledge_by`; recompute
            with `stage1_respond_by` once the real acknowledgement date is known.

    """

    received_on: date
    acknowledge_by: date
    respond_by: date


@dataclass(frozen=True)
class Stage2Dates:
    """Stage 2 deadlines for one escalated complaint, as dates in England.

    Attributes:
        escalated_on: The local date the resident asked to escalate.
        acknowledge_by: Last day to acknowledge the escalation.
        respond_by: Last day for the stage 2 response, assuming acknowledgement on `acknowledge_by`; recompute
            with `stage2_respond_by` once the real acknowledgement date is known.

    """

    escalated_on: date
    acknowledge_by: date
    respond_by: date


def stage1_respond_by(acknowledged_on: date, calendar: WorkingCalendar | None = None) -> date:
    """Return the stage 1 response deadline for a complaint acknowledged on `acknowledged_on`."""
    return resolve(calendar).add_working_days(acknowledged_on, STAGE1_RESPONSE_WORKING_DAYS)


def stage1_dates(received_at: datetime, calendar: WorkingCalendar | None = None) -> Stage1Dates:
    """Compute the stage 1 deadlines for a complaint received at `received_at`.

    Args:
        received_at: When the complaint arrived; must be timezone-aware.
        calendar: Working-day calendar; the England & Wales default when None.

    Raises:
        ValueError: If `received_at` is naive.

    """
    cal = resolve(calendar)
    received_on = local_date(require_aware(received_at, "received_at"))
    acknowledge_by = cal.add_working_days(received_on, STAGE1_ACKNOWLEDGE_WORKING_DAYS)
    return Stage1Dates(
        received_on=received_on,
        acknowledge_by=acknowledge_by,
        respond_by=stage1_respond_by(acknowledge_by, cal),
    )


def stage2_respond_by(acknowledged_on: date, calendar: WorkingCalendar | None = None) -> date:
    """Return the stage 2 response deadline for an escalation acknowledged on `acknowledged_on`."""
    return resolve(calendar).add_working_days(acknowledged_on, STAGE2_RESPONSE_WORKING_DAYS)


def stage2_dates(escalated_at: datetime, calendar: WorkingCalendar | None = None) -> Stage2Dates:
    """Compute the stage 2 deadlines for a complaint escalated at `escalated_at`.

    Args:
        escalated_at: When the resident asked to escalate; must be timezone-aware.
        calendar: Working-day calendar; the England & Wales default when None.

    Raises:
        ValueError: If `escalated_at` is naive.

    """
    cal = resolve(calendar)
    escalated_on = local_date(require_aware(escalated_at, "escalated_at"))
    acknowledge_by = cal.add_working_days(escalated_on, STAGE2_ACKNOWLEDGE_WORKING_DAYS)
    return Stage2Dates(
        escalated_on=escalated_on,
        acknowledge_by=acknowledge_by,
        respond_by=stage2_respond_by(acknowledge_by, cal),
    )


def extend_response(
    respond_by: date,
    working_days: int,
    calendar: WorkingCalendar | None = None,
    *,
    already_extended: int = 0,
) -> date:
    """Return a response deadline moved on by an extension of `working_days` working days.

    Args:
        respond_by: The current response deadline.
        working_days: Length of this extension, from 1 to `MAX_EXTENSION_WORKING_DAYS`.
        calendar: Working-day calendar; the England & Wales default when None.
        already_extended: Working days of extension already granted on this complaint stage, so that two
            extensions cannot together exceed the cap.

    Raises:
        ValueError: If `working_days` is zero or negative, or the extension (with any earlier one) would
            exceed `MAX_EXTENSION_WORKING_DAYS`.

    """
    if working_days <= 0:
        raise ValueError(f"an extension must be at least 1 working day, got {working_days}")
    if already_extended < 0:
        raise ValueError(f"already_extended cannot be negative, got {already_extended}")
    if already_extended + working_days > MAX_EXTENSION_WORKING_DAYS:
        raise ValueError(
            f"the Complaint Handling Code allows at most {MAX_EXTENSION_WORKING_DAYS} working days of "
            f"extension; {already_extended} already granted plus {working_days} requested is too many"
        )
    return resolve(calendar).add_working_days(respond_by, working_days)
