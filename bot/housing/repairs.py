"""Repair jobs: reporting, priorities and targets, appointments, and the job's life to completion.

Priority rules (DOMAIN.md, "Repair priorities"): emergency within 24 hours, urgent within 5 working days,
routine within 20; a vulnerable household raises the priority one step. The targets come from
`bot.clocks.repairs`.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from bot.clocks.repairs import raise_for_vulnerability, repair_target
from bot.housing import appointments, audit, references
from bot.housing._common import (
    SYSTEM_ACTOR,
    choice,
    find_current_tenancy,
    find_tenancy,
    household_is_vulnerable,
    resolve_now,
)
from bot.housing.enums import Channel, Priority, RepairStatus
from bot.housing.errors import HazardCaseNotFound, InvalidStatusTransition, NotBooked, RepairNotFound
from bot.housing.models import HazardCase, RepairJob
from bot.housing.validation import require_text

OPEN_STATUSES = (RepairStatus.REPORTED, RepairStatus.BOOKED, RepairStatus.IN_PROGRESS)

# Moves `update` may make; booking and unbooking go through the appointment functions.
_ALLOWED = {
    RepairStatus.REPORTED: {RepairStatus.IN_PROGRESS, RepairStatus.COMPLETED, RepairStatus.CANCELLED},
    RepairStatus.BOOKED: {RepairStatus.IN_PROGRESS, RepairStatus.COMPLETED, RepairStatus.CANCELLED},
    RepairStatus.IN_PROGRESS: {RepairStatus.COMPLETED, RepairStatus.CANCELLED},
    RepairStatus.COMPLETED: set(),
    RepairStatus.CANCELLED: set(),
}


def get(*, session: Session, reference: str) -> RepairJob | None:
    """Return the repair with REP reference `reference` (as typed), or None.

    Raises:
        InvalidReference: If the reference is malformed or fails its check letter.

    """
    canonical = references.parse_reference(reference, references.REPAIR)
    return session.execute(select(RepairJob).where(RepairJob.reference == canonical)).scalar_one_or_none()


def get_or_raise(*, session: Session, reference: str) -> RepairJob:
    """Return the repair with REP reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        RepairNotFound: If there is no such repair.

    """
    repair = get(session=session, reference=reference)
    if repair is None:
        raise RepairNotFound(f"no repair {reference}")
    return repair


def list(
    *, session: Session, tenancy_reference: str, open_only: bool = False, limit: int = 20
) -> builtins.list[RepairJob]:
    """Return a tenancy's repairs, newest first, optionally only those not completed or cancelled.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy.

    """
    tenancy = find_tenancy(session, tenancy_reference)
    statement = (
        select(RepairJob)
        .where(RepairJob.tenancy_id == tenancy.id)
        .order_by(RepairJob.reported_at.desc(), RepairJob.id.desc())
        .limit(limit)
    )
    if open_only:
        statement = statement.where(RepairJob.status.in_(OPEN_STATUSES))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    tenancy_reference: str,
    item: str,
    location: str,
    description: str,
    priority: Priority | str,
    channel: Channel | str | None = None,
    hazard_reference: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> RepairJob:
    """Log a repair, raising its priority for a vulnerable household and setting its target.

    Args:
        session: The open session.
        tenancy_reference: The tenancy of the home.
        item: What is broken ("boiler").
        location: Where ("kitchen").
        description: The tenant's words (card numbers are masked).
        priority: The priority assessed from the report, before any vulnerability uplift.
        channel: The channel it was reported on, if any.
        hazard_reference: The HAZ case this work answers, if any.
        actor: Who reported it, for the audit log.
        now: When it was reported; the real clock when None.

    Raises:
        InvalidTenancyReference, TenancyNotFound, TenancyEnded: For a bad tenancy.
        EmptyDescription, TextTooLong: For blank or over-long item, location or description.
        InvalidChoice: For an unknown priority or channel.
        InvalidReference, HazardCaseNotFound: For a bad hazard reference.

    """
    at = resolve_now(now)
    what = require_text(item, field="item", max_length=80)
    where = require_text(location, field="location", max_length=80)
    words = require_text(description, field="description", max_length=4000)
    assessed = choice(Priority, priority, "priority")
    via = choice(Channel, channel, "channel") if channel is not None else None
    tenancy = find_current_tenancy(session, tenancy_reference, at)
    hazard_id = None
    if hazard_reference is not None:
        hazard_canonical = references.parse_reference(hazard_reference, references.HAZARD)
        hazard = session.execute(
            select(HazardCase).where(HazardCase.reference == hazard_canonical)
        ).scalar_one_or_none()
        if hazard is None or hazard.tenancy_id != tenancy.id:
            raise HazardCaseNotFound(f"no hazard case {hazard_canonical} on {tenancy.reference}")
        hazard_id = hazard.id
    vulnerable = household_is_vulnerable(session, tenancy.id)
    repair = RepairJob(
        reference=references.next_reference(session, references.REPAIR),
        tenancy_id=tenancy.id,
        item=what,
        location=where,
        description=words,
        reported_priority=assessed,
        priority=raise_for_vulnerability(assessed, vulnerable),
        status=RepairStatus.REPORTED,
        channel=via,
        reported_at=at,
        target_at=repair_target(assessed, at, vulnerable=vulnerable),
        hazard_case_id=hazard_id,
        created_at=at,
        updated_at=at,
    )
    session.add(repair)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="repair.created",
        subject=repair.reference,
        details={"tenancy": tenancy.reference, "priority": repair.priority.value, "vulnerable": vulnerable},
        now=at,
    )
    return repair


def _move_status(session: Session, repair: RepairJob, target: RepairStatus, at: datetime, **values: object) -> None:
    """Change status only if nobody changed it since we read it; otherwise refuse."""
    table = RepairJob.__table__
    result = session.execute(
        sql_update(table)
        .where(table.c.id == repair.id, table.c.status == repair.status, table.c.slot_id == repair.slot_id)
        .values(status=target, updated_at=at, **values)
    )
    if result.rowcount != 1:
        raise InvalidStatusTransition(f"repair {repair.reference} changed while updating; try again")
    session.refresh(repair)


def update(
    *,
    session: Session,
    reference: str,
    status: RepairStatus | str,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> RepairJob:
    """Move a repair on: start, complete or cancel it (cancelling frees any booked place).

    Raises:
        InvalidReference, RepairNotFound: For a bad reference.
        InvalidChoice: For an unknown status.
        InvalidStatusTransition: For a move its current status does not allow (e.g. from completed, or to
            booked, which `book_appointment` does).

    """
    at = resolve_now(now)
    target = choice(RepairStatus, status, "status")
    repair = get_or_raise(session=session, reference=reference)
    current = RepairStatus(repair.status)
    if target not in _ALLOWED[current]:
        raise InvalidStatusTransition(f"repair {repair.reference} cannot go from {current.value} to {target.value}")
    stamps: dict[str, object] = {}
    if target is RepairStatus.COMPLETED:
        stamps["completed_at"] = at
    if target is RepairStatus.CANCELLED:
        stamps["cancelled_at"] = at
    held_slot = repair.slot_id if current is RepairStatus.BOOKED else None
    _move_status(session, repair, target, at, **stamps)
    if target is RepairStatus.CANCELLED and held_slot is not None:
        appointments.release(session, held_slot)
    audit.record(
        session=session,
        actor=actor,
        action=f"repair.{target.value}",
        subject=repair.reference,
        details={"from": current.value},
        now=at,
    )
    return repair


def book_appointment(
    *, session: Session, reference: str, slot_id: int, actor: str = SYSTEM_ACTOR, now: datetime | None = None
) -> RepairJob:
    """Book a repair into a slot in its home's area; the last place in a slot goes to exactly one booking.

    Raises:
        InvalidReference, RepairNotFound: For a bad reference.
        SlotNotFound: If the slot does not exist.
        DateInPast: If the slot's day has passed.
        SlotUnavailable: If the slot is full, today, or in another area.
        InvalidStatusTransition: If the repair is already booked (use `rebook_appointment`) or closed.

    """
    at = resolve_now(now)
    repair = get_or_raise(session=session, reference=reference)
    if RepairStatus(repair.status) is not RepairStatus.REPORTED or repair.slot_id is not None:
        raise InvalidStatusTransition(f"repair {repair.reference} is {repair.status.value}; it cannot be booked")
    area = repair.tenancy.property.area
    slot = appointments.reserve(session, slot_id, area=area, now=at)
    _move_status(session, repair, RepairStatus.BOOKED, at, slot_id=slot.id)
    audit.record(
        session=session,
        actor=actor,
        action="repair.booked",
        subject=repair.reference,
        details={"slot_date": slot.slot_date.isoformat(), "period": slot.period.value},
        now=at,
    )
    return repair


def cancel_appointment(
    *, session: Session, reference: str, actor: str = SYSTEM_ACTOR, now: datetime | None = None
) -> RepairJob:
    """Cancel a repair's appointment, leaving the repair open to be booked again.

    Raises:
        InvalidReference, RepairNotFound: For a bad reference.
        NotBooked: If the repair has no appointment.

    """
    at = resolve_now(now)
    repair = get_or_raise(session=session, reference=reference)
    if RepairStatus(repair.status) is not RepairStatus.BOOKED or repair.slot_id is None:
        raise NotBooked(f"repair {repair.reference} has no appointment to cancel")
    old_slot = repair.slot_id
    _move_status(session, repair, RepairStatus.REPORTED, at, slot_id=None)
    appointments.release(session, old_slot)
    audit.record(session=session, actor=actor, action="repair.appointment_cancelled", subject=repair.reference, now=at)
    return repair


def rebook_appointment(
    *, session: Session, reference: str, slot_id: int, actor: str = SYSTEM_ACTOR, now: datetime | None = None
) -> RepairJob:
    """Move a repair's appointment to another slot; the old place is freed only if the new one is taken.

    Raises:
        InvalidReference, RepairNotFound: For a bad reference.
        NotBooked: If the repair has no appointment (use `book_appointment`).
        SlotNotFound, DateInPast, SlotUnavailable: If the new slot cannot be booked.

    """
    at = resolve_now(now)
    repair = get_or_raise(session=session, reference=reference)
    if RepairStatus(repair.status) is not RepairStatus.BOOKED or repair.slot_id is None:
        raise NotBooked(f"repair {repair.reference} has no appointment to move")
    old_slot = repair.slot_id
    if old_slot == slot_id:
        return repair
    area = repair.tenancy.property.area
    slot = appointments.reserve(session, slot_id, area=area, now=at)
    _move_status(session, repair, RepairStatus.BOOKED, at, slot_id=slot.id)
    appointments.release(session, old_slot)
    audit.record(
        session=session,
        actor=actor,
        action="repair.rebooked",
        subject=repair.reference,
        details={"slot_date": slot.slot_date.isoformat(), "period": slot.period.value},
        now=at,
    )
    return repair
