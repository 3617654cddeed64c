import threading
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.housing import appointments, repairs
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import Priority, SlotPeriod
from bot.housing.errors import (
    Conflict,
    DateInPast,
    DuplicateRecord,
    InvalidDate,
    InvalidInput,
    SlotUnavailable,
    TenancyNotFound,
)


def test_next_free_slots_offers_am_then_pm_on_the_next_working_days(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        offered = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=3, now=now)
    assert [(slot.slot_date, slot.period) for slot in offered] == [
        (date(2025, 11, 20), SlotPeriod.AM),
        (date(2025, 11, 20), SlotPeriod.PM),
        (date(2025, 11, 21), SlotPeriod.AM),
    ]
    assert all(slot.area == "Harehills" and slot.capacity == appointments.DEFAULT_CAPACITY for slot in offered)


def test_next_free_slots_skips_weekends_and_bank_holidays(session_factory, tenancy) -> None:
    """Working days exclude weekends and England & Wales bank holidays (Christmas Day, Boxing Day 2025)."""
    christmas_eve = datetime(2025, 12, 24, 15, 0, tzinfo=timezone.utc)
    with session_scope(session_factory) as session:
        offered = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=1, now=christmas_eve)
    assert offered[0].slot_date == date(2025, 12, 29)


def test_next_free_slots_skips_full_and_closed_slots(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        first = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=1, now=now)[0]
        appointments.update(session=session, slot_id=first.id, capacity=0)
        offered = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=1, now=now)
    assert offered[0].id != first.id
    assert (offered[0].slot_date, offered[0].period) == (date(2025, 11, 20), SlotPeriod.PM)


def test_next_free_slots_respects_after_and_not_after(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        later = appointments.next_free_slots(
            session=session, tenancy_reference=tenancy, count=2, after=now + timedelta(days=7), now=now
        )
        none = appointments.next_free_slots(
            session=session, tenancy_reference=tenancy, count=2, not_after=now.date(), now=now
        )
    assert later[0].slot_date == date(2025, 11, 27)
    assert none == []


def test_slot_window_is_morning_or_afternoon_in_london(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        morning = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=1, now=now)[0]
    start, end = appointments.window(morning)
    assert (start.hour, end.hour) == (8, 12)
    assert start.utcoffset() == timedelta(0)  # GMT in November


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"tenancy_reference": "TN999999"}, TenancyNotFound),
        ({"count": 0}, InvalidInput),
        ({"count": 11}, InvalidInput),
    ],
)
def test_next_free_slots_refuses_invalid_input_and_writes_nothing(assert_refused, tenancy, now, kwargs, error) -> None:
    values = {"tenancy_reference": tenancy, "count": 3, "now": now} | kwargs
    assert_refused(error, lambda session: appointments.next_free_slots(session=session, **values))


def test_create_slot_refuses_past_days_weekends_duplicates_and_bad_capacity(
    session_factory, assert_refused, now
) -> None:
    def create(**overrides):
        values = {"area": "Armley", "slot_date": date(2025, 11, 24), "period": "AM", "capacity": 2, "now": now}
        values.update(overrides)
        return lambda session: appointments.create(session=session, **values)

    assert_refused(DateInPast, create(slot_date=date(2025, 11, 18)))
    assert_refused(InvalidDate, create(slot_date=date(2025, 11, 22)))
    assert_refused(InvalidInput, create(capacity=-1))
    with session_scope(session_factory) as session:
        create()(session)
    assert_refused(DuplicateRecord, create())


def test_update_slot_refuses_a_capacity_below_the_bookings(session_factory, assert_refused, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        slot = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=1, now=now)[0]
        repair = repairs.create(
            session=session,
            tenancy_reference=tenancy,
            item="door",
            location="hall",
            description="Sticks",
            priority=Priority.ROUTINE,
            now=now,
        )
        repairs.book_appointment(session=session, reference=repair.reference, slot_id=slot.id, now=now)
    assert_refused(Conflict, lambda session: appointments.update(session=session, slot_id=slot.id, capacity=0))


def test_booking_a_slot_from_the_past_is_refused(session_factory, assert_refused, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        slot = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=1, now=now)[0]
        repair = repairs.create(
            session=session,
            tenancy_reference=tenancy,
            item="door",
            location="hall",
            description="Sticks",
            priority=Priority.ROUTINE,
            now=now,
        )
    a_week_later = now + timedelta(days=7)
    assert_refused(
        DateInPast,
        lambda session: repairs.book_appointment(
            session=session, reference=repair.reference, slot_id=slot.id, now=a_week_later
        ),
    )


def test_last_place_in_a_slot_goes_to_exactly_one_of_many_simultaneous_bookings(
    database_url, make_tenancy, now
) -> None:
    """Ten tenants press "book" for the last place at the same moment: one gets it, nine are told it is gone."""
    contenders = 10
    options = {"pool_size": contenders, "max_overflow": 2} if database_url.startswith("postgresql") else {}
    engine = create_engine_for(database_url, **options)
    factory = make_session_factory(engine)
    households = [make_tenancy() for _ in range(contenders)]
    with session_scope(factory) as session:
        slot = appointments.next_free_slots(session=session, tenancy_reference=households[0], count=1, now=now)[0]
        appointments.update(session=session, slot_id=slot.id, capacity=1)
        jobs = [
            repairs.create(
                session=session,
                tenancy_reference=household,
                item="fence",
                location="garden",
                description="Panel down",
                priority=Priority.ROUTINE,
                now=now,
            ).reference
            for household in households
        ]
    start = threading.Barrier(contenders)
    outcomes: list[str] = []
    lock = threading.Lock()

    def book(reference: str) -> None:
        start.wait()
        try:
            with session_scope(factory) as session:
                repairs.book_appointment(session=session, reference=reference, slot_id=slot.id, now=now)
            result = "booked"
        except SlotUnavailable:
            result = "full"
        except BaseException as error:  # anything else is a failure the test must show
            result = repr(error)
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=book, args=(job,)) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    try:
        assert sorted(outcomes) == ["booked"] + ["full"] * (contenders - 1)
        with session_scope(factory) as session:
            assert appointments.get_or_raise(session=session, slot_id=slot.id).booked == 1
            booked = [repairs.get_or_raise(session=session, reference=job).slot_id for job in jobs]
        assert booked.count(slot.id) == 1
    finally:
        engine.dispose()


def test_list_slots_shows_those_opened_for_an_area_in_time_order(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        appointments.create(
            session=session, area="Harehills", slot_date=date(2025, 11, 21), period="PM", capacity=1, now=now
        )
        appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=1, now=now)
        listed = appointments.list(
            session=session, area="Harehills", from_date=date(2025, 11, 20), to_date=date(2025, 11, 21)
        )
    assert [(slot.slot_date.day, slot.period.value, slot.capacity) for slot in listed] == [
        (20, "AM", 3),
        (20, "PM", 3),
        (21, "PM", 1),
    ]
