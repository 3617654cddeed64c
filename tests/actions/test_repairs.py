"""Repair flow actions against the seeded demo housing database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.repairs import (
    ActionAskAppointmentChoice,
    ActionBookAppointment,
    ActionChangeAppointment,
    ActionLogRepair,
    ActionRepairStatus,
    ValidateAppointmentForm,
    ValidateRepairForm,
    read_slot_choice,
)
from bot.housing import repairs
from bot.housing.db import session_scope
from tests.support.actions import known_sms_slots, make_tracker, responses


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def repair_slots(phone: str, **extra: Any) -> dict[str, Any]:
    return known_sms_slots(phone, **extra)


async def test_repair_form_prefills_item_and_room_and_skips_identity_questions_for_a_known_number(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="the tap in the kitchen is dripping",
        intent="report_repair",
        entities=[{"entity": "repair_item", "value": "tap"}, {"entity": "location", "value": "kitchen"}],
        slots=repair_slots(demo_tenant.phone),
        active_loop="repair_form",
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["repair_item"] == "tap"
    assert events["repair_location"] == "kitchen"
    assert events["requested_slot"] == "repair_description"


async def test_repair_form_asks_a_stranger_for_tenancy_reference_first(housing, domain, dispatcher):
    tracker = make_tracker(
        text="my boiler is broken",
        intent="report_repair",
        entities=[{"entity": "repair_item", "value": "boiler"}],
        slots={"channel": "sms", "sender_address": "+447700900999", "identified": False, "verified": False},
        active_loop="repair_form",
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["requested_slot"] == "tenancy_reference"


async def test_repair_form_correction_changes_the_room_and_asks_for_the_description_again(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="no, it's the bathroom",
        intent="deny",
        entities=[{"entity": "location", "value": "bathroom"}],
        slots=repair_slots(
            demo_tenant.phone, repair_item="tap", repair_location="kitchen", requested_slot="repair_description"
        ),
        active_loop="repair_form",
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["repair_location"] == "bathroom"
    assert "repair_description" not in events
    assert events["requested_slot"] == "repair_description"


async def test_repair_form_never_takes_an_emergency_as_the_description(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="water is pouring through the ceiling now",
        intent="report_emergency",
        slots=repair_slots(
            demo_tenant.phone, repair_item="tap", repair_location="kitchen", requested_slot="repair_description"
        ),
        active_loop="repair_form",
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert "repair_description" not in events


async def test_repair_form_never_takes_cancel_as_an_answer(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="forget it",
        intent="deny",
        slots=repair_slots(demo_tenant.phone, repair_item="tap", requested_slot="repair_location"),
        active_loop="repair_form",
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert "repair_location" not in events


async def test_repair_form_masks_a_card_number_in_the_description(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="tap drips, my card is 4111 1111 1111 1111 if you need to charge",
        intent="report_repair",
        slots=repair_slots(
            demo_tenant.phone, repair_item="tap", repair_location="kitchen", requested_slot="repair_description"
        ),
        active_loop="repair_form",
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert "4111 1111 1111 1111" not in events["repair_description"]
    assert "1111" in events["repair_description"]


async def test_repair_form_caps_a_five_thousand_character_description(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="drip " * 1000,
        intent="report_repair",
        slots=repair_slots(
            demo_tenant.phone, repair_item="tap", repair_location="kitchen", requested_slot="repair_description"
        ),
        active_loop="repair_form",
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert 0 < len(events["repair_description"]) <= 1000


async def test_log_repair_creates_an_urgent_job_for_a_broken_boiler_and_offers_three_slots(
    housing, domain, dispatcher, demo_tenant
):
    """Repair priorities (DOMAIN.md): no heating or hot water is urgent, within 5 working days."""
    tracker = make_tracker(
        slots=repair_slots(
            demo_tenant.phone,
            repair_item="boiler",
            repair_location="kitchen",
            repair_description="no heating or hot water since last night",
            access_notes="any time",
        )
    )
    events = slot_sets(await ActionLogRepair().run(dispatcher, tracker, domain))
    reference = events["repair_reference"]
    assert reference.startswith("REP-")
    assert len(events["offered_slots"]) == 3
    assert events["repair_item"] is None and events["repair_description"] is None
    message = dispatcher.messages[0]
    assert message["response"] == "utter_repair_logged"
    assert message["reference"] == reference
    with session_scope(housing) as session:
        job = repairs.get_or_raise(session=session, reference=reference)
        assert job.tenancy.reference == demo_tenant.tenancy_reference
        assert "any time" in job.description
        assert message["priority"] == job.priority.value
        assert job.priority.value in {"urgent", "emergency"}  # emergency only if the demo household is vulnerable


async def test_log_repair_without_answers_logs_nothing(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(slots=repair_slots(demo_tenant.phone))
    await ActionLogRepair().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []


async def test_booking_the_second_offered_slot_books_that_slot(housing, domain, demo_tenant):
    log_dispatcher = CollectingDispatcher()
    logged = slot_sets(
        await ActionLogRepair().run(
            log_dispatcher,
            make_tracker(
                slots=repair_slots(
                    demo_tenant.phone,
                    repair_item="door",
                    repair_location="bedroom",
                    repair_description="door sticks on the carpet",
                )
            ),
            domain,
        )
    )
    offered = logged["offered_slots"]
    choose = make_tracker(
        text="2",
        intent="affirm",
        slots=repair_slots(
            demo_tenant.phone,
            repair_reference=logged["repair_reference"],
            offered_slots=offered,
            requested_slot="appointment_choice",
        ),
        active_loop="appointment_form",
    )
    chosen = slot_sets(await ValidateAppointmentForm().run(CollectingDispatcher(), choose, domain))
    assert chosen["appointment_choice"] == str(offered[1]["id"])

    book_dispatcher = CollectingDispatcher()
    book = make_tracker(
        slots=repair_slots(
            demo_tenant.phone,
            repair_reference=logged["repair_reference"],
            offered_slots=offered,
            appointment_choice=chosen["appointment_choice"],
        )
    )
    await ActionBookAppointment().run(book_dispatcher, book, domain)
    assert responses(book_dispatcher) == ["utter_appointment_booked"]
    assert book_dispatcher.messages[0]["slot_label"] == offered[1]["label"]
    with session_scope(housing) as session:
        job = repairs.get_or_raise(session=session, reference=logged["repair_reference"])
        assert job.slot_id == offered[1]["id"]


def test_slot_choice_reads_numbers_words_and_none():
    options = [{"id": 11, "label": "a"}, {"id": 12, "label": "b"}, {"id": 13, "label": "c"}]
    assert read_slot_choice("3", options) == "13"
    assert read_slot_choice("the second one pls", options) == "12"
    assert read_slot_choice("none of them", options) == "none"
    assert read_slot_choice("7", options) is None
    assert read_slot_choice("🤷", options) is None


async def test_appointment_question_shows_each_slot_as_a_numbered_button(domain, dispatcher):
    options = [{"id": 11, "label": "Monday 24 November, 8am to 12pm"}, {"id": 12, "label": "Monday, 12pm to 4pm"}]
    tracker = make_tracker(slots={"offered_slots": options}, active_loop="appointment_form")
    await ActionAskAppointmentChoice().run(dispatcher, tracker, domain)
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["1", "2", "none"]
    assert buttons[0]["title"] == options[0]["label"]


async def test_repair_status_refuses_an_unverified_sender(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(slots=repair_slots(demo_tenant.phone))
    await ActionRepairStatus().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_verification_needed"]


async def test_repair_status_lists_open_jobs_and_offers_a_complaint_when_one_is_overdue(
    housing, domain, dispatcher, demo_tenant
):
    """Complaint Handling Code 1.3: dissatisfaction (an overdue repair) gets the offer of a complaint."""
    with session_scope(housing) as session:
        repairs.create(
            session=session,
            tenancy_reference=demo_tenant.tenancy_reference,
            item="fence",
            location="garden",
            description="panel blown down",
            priority="routine",
            now=datetime.now(timezone.utc) - timedelta(days=60),
        )
    tracker = make_tracker(slots=repair_slots(demo_tenant.phone, verified=True))
    events = slot_sets(await ActionRepairStatus().run(dispatcher, tracker, domain))
    sent = responses(dispatcher)
    assert "utter_repair_status_line" in sent
    assert sent[-1] == "utter_repair_overdue_offer_complaint"
    assert events == {"offer": "complaint"}


async def test_change_appointment_cancels_the_visit_but_keeps_the_repair_open(housing, domain, dispatcher, demo_tenant):
    logged = slot_sets(
        await ActionLogRepair().run(
            CollectingDispatcher(),
            make_tracker(
                slots=repair_slots(
                    demo_tenant.phone, repair_item="gutter", repair_location="roof", repair_description="overflowing"
                )
            ),
            domain,
        )
    )
    reference = logged["repair_reference"]
    with session_scope(housing) as session:
        repairs.book_appointment(session=session, reference=reference, slot_id=logged["offered_slots"][0]["id"])
    tracker = make_tracker(
        slots=repair_slots(
            demo_tenant.phone, verified=True, change_job_reference=reference, appointment_choice="cancel"
        )
    )
    await ActionChangeAppointment().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_appointment_cancelled"]
    with session_scope(housing) as session:
        job = repairs.get_or_raise(session=session, reference=reference)
        assert job.slot_id is None
        assert job.status.value not in {"cancelled", "completed"}


async def test_repair_form_lets_a_side_question_be_answered_instead_of_taking_it_as_the_answer(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="hang on am i talking to a robot",
        intent="bot_challenge",
        slots=repair_slots(demo_tenant.phone, repair_item="tap", requested_slot="repair_location"),
        active_loop="repair_form",
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert "repair_location" not in events


async def test_repair_form_takes_an_access_note_the_model_mistook_for_a_greeting(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="weekday mornings",
        intent="greet",
        slots=repair_slots(
            demo_tenant.phone,
            repair_item="tap",
            repair_location="kitchen",
            repair_description="drips",
            requested_slot="access_notes",
        ),
        active_loop="repair_form",
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["access_notes"] == "weekday mornings"


async def test_appointment_form_explains_how_to_answer_when_the_reply_picks_no_slot(housing, domain, dispatcher):
    options = [{"id": 11, "label": "a"}, {"id": 12, "label": "b"}]
    tracker = make_tracker(
        text="tomorrow afternoon maybe",
        intent="affirm",
        slots={"repair_reference": "REP-000001B", "offered_slots": options, "requested_slot": "appointment_choice"},
        active_loop="appointment_form",
    )
    events = slot_sets(await ValidateAppointmentForm().run(dispatcher, tracker, domain))
    assert events["appointment_choice"] is None
    assert events["requested_slot"] == "appointment_choice"
    assert responses(dispatcher) == ["utter_appointment_invalid_choice"]


def _turns(*actions: str) -> list[dict[str, Any]]:
    """Events of an earlier user turn followed by the given actions, then the latest user message."""
    events: list[dict[str, Any]] = [{"event": "user", "text": "earlier"}]
    events += [{"event": "action", "name": name} for name in actions]
    events.append({"event": "user", "text": "latest"})
    return events


async def test_a_form_never_takes_a_model_flagged_concern_as_an_answer_the_first_time(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="me and my husband",
        intent="report_concern",
        slots=repair_slots(demo_tenant.phone, repair_item="tap", requested_slot="repair_location"),
        active_loop="repair_form",
        events=_turns("repair_form"),
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert "repair_location" not in events


async def test_a_form_takes_the_answer_when_the_same_question_already_led_to_a_logged_concern(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="me and my husband",
        intent="report_concern",
        slots=repair_slots(demo_tenant.phone, repair_item="tap", requested_slot="repair_location"),
        active_loop="repair_form",
        events=_turns("action_log_concern", "repair_form"),
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert events["repair_location"] == "me and my husband"


async def test_triaged_danger_is_never_taken_as_an_answer_even_after_a_concern(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="he has hit me again",
        intent="report_concern",
        slots=repair_slots(demo_tenant.phone, repair_item="tap", requested_slot="repair_location"),
        active_loop="repair_form",
        events=_turns("action_log_concern", "repair_form"),
        extra_message={"safety_triage": {"danger": "domestic_abuse", "category": "welfare"}},
    )
    events = slot_sets(await ValidateRepairForm().run(dispatcher, tracker, domain))
    assert "repair_location" not in events
