import threading
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.housing import appointments, audit, references, repairs
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import Priority, RepairStatus
from bot.housing.errors import (
    EmptyDescription,
    HazardCaseNotFound,
    InvalidChoice,
    InvalidReference,
    InvalidStatusTransition,
    InvalidTenancyReference,
    NotBooked,
    RepairNotFound,
    SlotUnavailable,
    TenancyEnded,
    TenancyNotFound,
    TextTooLong,
)
from bot.housing.models import RepairJob

LONDON_5PM_WINTER = 17


def _report(session, tenancy, now, **overrides):
    values = {
        "tenancy_reference": tenancy,
        "item": "tap",
        "location": "kitchen",
        "description": "The cold tap drips all night.",
        "priority": Priority.ROUTINE,
        "now": now,
    }
    values.update(overrides)
    return repairs.create(session=session, **values)


def test_create_repair_gives_a_checkable_reference_and_routine_target(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair = _report(session, tenancy, now, channel="whatsapp")
    assert references.parse_reference(repair.reference, references.REPAIR) == repair.reference
    assert repair.status is RepairStatus.REPORTED
    assert repair.priority is Priority.ROUTINE
    # Routine: 20 working days from Wednesday 19 Nov 2025 is Wednesday 17 Dec, by 17:00 London time (GMT).
    assert repair.target_at == datetime(2025, 12, 17, LONDON_5PM_WINTER, 0, tzinfo=timezone.utc)


def test_create_repair_for_vulnerable_household_raises_priority_one_step(session_factory, make_tenancy, now) -> None:
    """DOMAIN.md repair priorities: a vulnerable household raises the priority one step (urgent -> emergency)."""
    vulnerable = make_tenancy(vulnerable=True)
    with session_scope(session_factory) as session:
        repair = _report(session, vulnerable, now, item="boiler", priority=Priority.URGENT)
    assert repair.reported_priority is Priority.URGENT
    assert repair.priority is Priority.EMERGENCY
    assert repair.target_at == now + timedelta(hours=24)


def test_create_repair_masks_card_numbers_in_the_description(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair = _report(session, tenancy, now, description="Paid the call-out with 4111 1111 1111 1111")
    with session_scope(session_factory) as session:
        stored = repairs.get_or_raise(session=session, reference=repair.reference)
        assert "4111 1111 1111 1111" not in stored.description
        assert stored.description.endswith("**** **** **** 1111")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"tenancy_reference": "TN999999"}, TenancyNotFound),
        ({"tenancy_reference": "104233"}, InvalidTenancyReference),
        ({"description": "   "}, EmptyDescription),
        ({"item": ""}, EmptyDescription),
        ({"location": "x" * 81}, TextTooLong),
        ({"priority": "whenever"}, InvalidChoice),
        ({"channel": "pigeon"}, InvalidChoice),
        ({"hazard_reference": "HAZ-000001A"}, InvalidReference),
    ],
)
def test_create_repair_refuses_invalid_input_and_writes_nothing(assert_refused, tenancy, now, overrides, error) -> None:
    assert_refused(error, lambda session: _report(session, tenancy, now, **overrides))


def test_create_repair_refuses_a_hazard_case_that_does_not_exist(assert_refused, tenancy, now) -> None:
    missing = references.format_reference(references.HAZARD, 77)
    assert_refused(HazardCaseNotFound, lambda session: _report(session, tenancy, now, hazard_reference=missing))


def test_create_repair_refuses_an_ended_tenancy(assert_refused, make_tenancy, now) -> None:
    ended = make_tenancy(end_date=now.date() - timedelta(days=30))
    assert_refused(TenancyEnded, lambda session: _report(session, ended, now))


def test_get_repair_accepts_the_reference_as_typed_and_refuses_a_typo(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair = _report(session, tenancy, now)
    typed = repair.reference.lower().replace("-", " ")
    with session_scope(session_factory) as session:
        assert repairs.get_or_raise(session=session, reference=typed).id == repair.id
        assert repairs.get(session=session, reference=references.format_reference("REP", 99)) is None
        with pytest.raises(RepairNotFound):
            repairs.get_or_raise(session=session, reference=references.format_reference("REP", 99))
        wrong_letter = next(letter for letter in references.CHECK_LETTERS if letter != repair.reference[-1])
        with pytest.raises(InvalidReference):
            repairs.get(session=session, reference=repair.reference[:-1] + wrong_letter)


def test_list_repairs_shows_newest_first_and_can_hide_closed_ones(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        old = _report(session, tenancy, now - timedelta(days=10), item="door")
        new = _report(session, tenancy, now, item="gutter")
        repairs.update(session=session, reference=old.reference, status="completed", now=now)
    with session_scope(session_factory) as session:
        assert [r.item for r in repairs.list(session=session, tenancy_reference=tenancy)] == ["gutter", "door"]
        assert [r.reference for r in repairs.list(session=session, tenancy_reference=tenancy, open_only=True)] == [
            new.reference
        ]


def test_update_repair_moves_through_its_life_and_stamps_completion(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair = _report(session, tenancy, now)
        repairs.update(session=session, reference=repair.reference, status="in_progress", now=now)
        done = repairs.update(
            session=session, reference=repair.reference, status=RepairStatus.COMPLETED, now=now + timedelta(hours=2)
        )
    assert done.status is RepairStatus.COMPLETED
    assert done.completed_at == now + timedelta(hours=2)
    with session_scope(session_factory) as session:
        actions = [entry.action for entry in audit.list(session=session, subject=repair.reference)]
    assert actions == ["repair.completed", "repair.in_progress", "repair.created"]


def test_update_repair_refuses_to_reopen_a_completed_job(session_factory, assert_refused, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair = _report(session, tenancy, now)
        repairs.update(session=session, reference=repair.reference, status="completed", now=now)
    assert_refused(
        InvalidStatusTransition,
        lambda session: repairs.update(session=session, reference=repair.reference, status="in_progress", now=now),
    )
    assert_refused(
        InvalidStatusTransition,
        lambda session: repairs.update(session=session, reference=repair.reference, status="booked", now=now),
    )


def test_create_repair_concurrently_gives_every_job_a_unique_reference(database_url, tenancy, now) -> None:
    """20 threads x 10 repairs at once: every job is stored and no two share a reference."""
    threads, per_thread = 20, 10
    options = {"pool_size": threads, "max_overflow": 5} if database_url.startswith("postgresql") else {}
    engine = create_engine_for(database_url, **options)
    factory = make_session_factory(engine)
    start = threading.Barrier(threads)
    failures: list[BaseException] = []
    made: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                with session_scope(factory) as session:
                    reference = _report(session, tenancy, now).reference
                with lock:
                    made.append(reference)
        except BaseException as error:  # report any failure from the thread to the test
            failures.append(error)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    try:
        assert failures == []
        assert len(made) == len(set(made)) == threads * per_thread
        with session_scope(factory) as session:
            stored = session.execute(sa.select(RepairJob.reference)).scalars().all()
        assert sorted(stored) == sorted(made)
        # Numbers come from a counter in the same transaction, so there are no gaps either.
        numbers = sorted(int(reference[4:10]) for reference in stored)
        assert numbers == list(range(1, threads * per_thread + 1))
    finally:
        engine.dispose()


def _book_first_free(session, tenancy, now):
    repair = _report(session, tenancy, now)
    slot = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=1, now=now)[0]
    return repairs.book_appointment(session=session, reference=repair.reference, slot_id=slot.id, now=now), slot


def test_book_appointment_takes_a_place_and_marks_the_repair_booked(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair, slot = _book_first_free(session, tenancy, now)
    assert repair.status is RepairStatus.BOOKED
    assert repair.slot.slot_date.isoformat() == "2025-11-20"
    assert repair.slot.period.value == "AM"
    with session_scope(session_factory) as session:
        assert appointments.get_or_raise(session=session, slot_id=slot.id).booked == 1


def test_book_appointment_refuses_a_repair_already_booked(session_factory, assert_refused, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair, slot = _book_first_free(session, tenancy, now)
    assert_refused(
        InvalidStatusTransition,
        lambda session: repairs.book_appointment(session=session, reference=repair.reference, slot_id=slot.id, now=now),
    )


def test_book_appointment_refuses_a_slot_in_another_area(session_factory, assert_refused, make_tenancy, now) -> None:
    harehills = make_tenancy(area="Harehills")
    armley = make_tenancy(area="Armley", postcode="LS12 2DJ")
    with session_scope(session_factory) as session:
        repair = _report(session, harehills, now)
        elsewhere = appointments.next_free_slots(session=session, tenancy_reference=armley, count=1, now=now)[0]
    assert_refused(
        SlotUnavailable,
        lambda session: repairs.book_appointment(
            session=session, reference=repair.reference, slot_id=elsewhere.id, now=now
        ),
    )


def test_cancel_appointment_frees_the_place_and_reopens_the_repair(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair, slot = _book_first_free(session, tenancy, now)
        repairs.cancel_appointment(session=session, reference=repair.reference, now=now)
    with session_scope(session_factory) as session:
        reopened = repairs.get_or_raise(session=session, reference=repair.reference)
        assert reopened.status is RepairStatus.REPORTED and reopened.slot_id is None
        assert appointments.get_or_raise(session=session, slot_id=slot.id).booked == 0


def test_cancel_appointment_refuses_a_repair_with_no_appointment(session_factory, assert_refused, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair = _report(session, tenancy, now)
    assert_refused(
        NotBooked, lambda session: repairs.cancel_appointment(session=session, reference=repair.reference, now=now)
    )


def test_rebook_appointment_moves_the_place_to_the_new_slot(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair, first = _book_first_free(session, tenancy, now)
        later = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=3, now=now)[-1]
        moved = repairs.rebook_appointment(session=session, reference=repair.reference, slot_id=later.id, now=now)
    assert moved.slot_id == later.id and moved.status is RepairStatus.BOOKED
    with session_scope(session_factory) as session:
        assert appointments.get_or_raise(session=session, slot_id=first.id).booked == 0
        assert appointments.get_or_raise(session=session, slot_id=later.id).booked == 1


def test_rebook_appointment_to_a_full_slot_keeps_the_old_booking(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair, first = _book_first_free(session, tenancy, now)
        full = appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=2, now=now)[-1]
        appointments.update(session=session, slot_id=full.id, capacity=0)
    with pytest.raises(SlotUnavailable), session_scope(session_factory) as session:
        repairs.rebook_appointment(session=session, reference=repair.reference, slot_id=full.id, now=now)
    with session_scope(session_factory) as session:
        kept = repairs.get_or_raise(session=session, reference=repair.reference)
        assert kept.slot_id == first.id
        assert appointments.get_or_raise(session=session, slot_id=first.id).booked == 1


def test_cancelling_a_booked_repair_frees_its_place(session_factory, tenancy, now) -> None:
    with session_scope(session_factory) as session:
        repair, slot = _book_first_free(session, tenancy, now)
        repairs.update(session=session, reference=repair.reference, status="cancelled", now=now)
    with session_scope(session_factory) as session:
        assert appointments.get_or_raise(session=session, slot_id=slot.id).booked == 0
