"""Appointment slots: morning and afternoon visits on working days in each area, each with a capacity.

Rows are created on demand with the default capacity the first time a day is offered, so no calendar has to be
loaded in advance; staff close or shrink a slot with `update`. Booking is one conditional UPDATE (`booked =
booked + 1 WHERE booked < capacity`), so when two tenants reach for the last place at the same moment exactly
one gets it, on SQLite and PostgreSQL alike; a CHECK constraint backs it up.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from bot.clocks.calendar import LONDON, default_calendar
from bot.housing._common import choice, find_current_tenancy, resolve_now, today_in_england
from bot.housing._sql import insert_ignore
from bot.housing.enums import SlotPeriod
from bot.housing.errors import (
    Conflict,
    DateInPast,
    DuplicateRecord,
    EmptyDescription,
    InvalidDate,
    InvalidInput,
    SlotNotFound,
    SlotUnavailable,
)
from bot.housing.models import AppointmentSlot

DEFAULT_CAPACITY = 3
"""Visits an area's operatives can make in one half-day unless staff set otherwise."""

SEARCH_HORIZON_WORKING_DAYS = 30
"""How far ahead `next_free_slots` looks before giving up."""

# Wall-clock hours in England of each half-day window.
WINDOWS = {SlotPeriod.AM: (8, 12), SlotPeriod.PM: (12, 16)}


def window(slot: AppointmentSlot) -> tuple[datetime, datetime]:
    """Return when a slot's visit window starts and ends, as aware Europe/London datetimes."""
    start_hour, end_hour = WINDOWS[SlotPeriod(slot.period)]
    return (
        datetime.combine(slot.slot_date, time(start_hour), tzinfo=LONDON),
        datetime.combine(slot.slot_date, time(end_hour), tzinfo=LONDON),
    )


def _check_capacity(capacity: int) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int) or not 0 <= capacity <= 100:
        raise InvalidInput(f"capacity must be a whole number from 0 to 100, got {capacity!r}")
    return capacity


def _ensure_day(session: Session, area: str, day: date) -> None:
    for period in SlotPeriod:
        insert_ignore(
            session,
            AppointmentSlot.__table__,
            {"area": area, "slot_date": day, "period": period, "capacity": DEFAULT_CAPACITY, "booked": 0},
            conflict_columns=["area", "slot_date", "period"],
        )


def get(*, session: Session, slot_id: int) -> AppointmentSlot | None:
    """Return the slot with `slot_id`, or None."""
    return session.get(AppointmentSlot, slot_id)


def get_or_raise(*, session: Session, slot_id: int) -> AppointmentSlot:
    """Return the slot with `slot_id`.

    Raises:
        SlotNotFound: If there is none.

    """
    slot = get(session=session, slot_id=slot_id)
    if slot is None:
        raise SlotNotFound(f"no appointment slot {slot_id}")
    return slot


def list(*, session: Session, area: str, from_date: date, to_date: date) -> builtins.list[AppointmentSlot]:
    """Return the slots that exist for `area` between two dates inclusive, in time order."""
    statement = (
        select(AppointmentSlot)
        .where(
            AppointmentSlot.area == area,
            AppointmentSlot.slot_date >= from_date,
            AppointmentSlot.slot_date <= to_date,
        )
        .order_by(AppointmentSlot.slot_date, AppointmentSlot.period)
    )
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    area: str,
    slot_date: date,
    period: SlotPeriod | str,
    capacity: int = DEFAULT_CAPACITY,
    now: datetime | None = None,
) -> AppointmentSlot:
    """Open a slot explicitly (e.g. with a non-default capacity).

    Raises:
        EmptyDescription: If the area is blank.
        DateInPast: If the date has passed.
        InvalidDate: If the date is not a working day.
        InvalidChoice: For an unknown period; InvalidInput for a bad capacity.
        DuplicateRecord: If the slot exists already (change it with `update`).

    """
    today = today_in_england(resolve_now(now))
    name = area.strip() if area else ""
    if not name:
        raise EmptyDescription("area must not be blank")
    half = choice(SlotPeriod, period, "period")
    size = _check_capacity(capacity)
    if slot_date < today:
        raise DateInPast(f"{slot_date.isoformat()} has passed")
    if not default_calendar().is_working_day(slot_date):
        raise InvalidDate(f"{slot_date.isoformat()} is not a working day")
    inserted = insert_ignore(
        session,
        AppointmentSlot.__table__,
        {"area": name, "slot_date": slot_date, "period": half, "capacity": size, "booked": 0},
        conflict_columns=["area", "slot_date", "period"],
    )
    if inserted is None:
        raise DuplicateRecord(f"{name} {slot_date.isoformat()} {half.value} already exists")
    return get_or_raise(session=session, slot_id=int(inserted))


def update(*, session: Session, slot_id: int, capacity: int) -> AppointmentSlot:
    """Change a slot's capacity (0 closes it); never below the visits already booked.

    Raises:
        SlotNotFound: If there is no such slot.
        InvalidInput: For a bad capacity.
        Conflict: If more visits are already booked than the new capacity allows.

    """
    size = _check_capacity(capacity)
    slot = get_or_raise(session=session, slot_id=slot_id)
    table = AppointmentSlot.__table__
    result = session.execute(
        sql_update(table).where(table.c.id == slot.id, table.c.booked <= size).values(capacity=size)
    )
    session.refresh(slot)
    if result.rowcount != 1:
        raise Conflict(f"slot {slot_id} already has {slot.booked} visits booked, more than {size}")
    return slot


def next_free_slots(
    *,
    session: Session,
    tenancy_reference: str,
    count: int = 3,
    after: datetime | None = None,
    not_after: date | None = None,
    now: datetime | None = None,
) -> builtins.list[AppointmentSlot]:
    """Return the next slots with a free place in the area of a tenancy's home, soonest first.

    Slots start on the first working day after `after` (never today: operatives' days are planned the day
    before).

    Args:
        session: The open session.
        tenancy_reference: The tenancy whose home needs the visit.
        count: How many slots to offer, 1 to 10.
        after: Offer slots only on days after this instant; now when None or earlier than now.
        not_after: The last day worth offering (e.g. a repair's target date), if any.
        now: The current time; the real clock when None.

    Raises:
        InvalidTenancyReference, TenancyNotFound, TenancyEnded: For a bad tenancy.
        InvalidInput: If `count` is out of range.
        InvalidDate: If `after` is naive.

    """
    at = resolve_now(now)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10:
        raise InvalidInput(f"count must be 1 to 10, got {count!r}")
    start = max(resolve_now(after), at) if after is not None else at
    tenancy = find_current_tenancy(session, tenancy_reference, at)
    area = tenancy.property.area
    calendar = default_calendar()
    found: builtins.list[AppointmentSlot] = []
    day = today_in_england(start)
    for _ in range(SEARCH_HORIZON_WORKING_DAYS):
        day = calendar.next_working_day(day)
        if not_after is not None and day > not_after:
            break
        _ensure_day(session, area, day)
        free = session.execute(
            select(AppointmentSlot)
            .where(
                AppointmentSlot.area == area,
                AppointmentSlot.slot_date == day,
                AppointmentSlot.booked < AppointmentSlot.capacity,
            )
            .order_by(AppointmentSlot.period)
        ).scalars()
        found.extend(free)
        if len(found) >= count:
            break
    return found[:count]


def reserve(session: Session, slot_id: int, *, area: str, now: datetime) -> AppointmentSlot:
    """Take one place in a slot atomically (used by repairs when booking).

    Raises:
        SlotNotFound: If there is no such slot.
        DateInPast: If the slot's day has passed.
        SlotUnavailable: If the slot is today, in another area, or full.

    """
    slot = get_or_raise(session=session, slot_id=slot_id)
    today = today_in_england(now)
    if slot.slot_date < today:
        raise DateInPast(f"slot {slot_id} was on {slot.slot_date.isoformat()}")
    if slot.slot_date == today:
        raise SlotUnavailable("slots cannot be booked on the day")
    if slot.area != area:
        raise SlotUnavailable(f"slot {slot_id} is in {slot.area}, not {area}")
    table = AppointmentSlot.__table__
    result = session.execute(
        sql_update(table)
        .where(table.c.id == slot.id, table.c.booked < table.c.capacity)
        .values(booked=table.c.booked + 1)
    )
    session.refresh(slot)
    if result.rowcount != 1:
        raise SlotUnavailable(f"slot {slot_id} is full")
    return slot


def release(session: Session, slot_id: int) -> None:
    """Give back one place in a slot (used by repairs when an appointment is cancelled or moved)."""
    table = AppointmentSlot.__table__
    session.execute(
        sql_update(table).where(table.c.id == slot_id, table.c.booked > 0).values(booked=table.c.booked - 1)
    )
    slot = session.get(AppointmentSlot, slot_id)
    if slot is not None:
        session.refresh(slot)
