"""Complaints under the Housing Ombudsman's Complaint Handling Code, against the seeded demo housing database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.complaints import ActionLogComplaint, ValidateComplaintForm
from actions.formatting import day_in_words
from bot.housing import complaints, handoffs
from bot.housing.db import session_scope
from bot.housing.enums import ComplaintStatus
from tests.support.actions import known_sms_slots, make_tracker, responses

STRANGER = "+447700900999"
DETAILS = "The operative didn't turn up on Tuesday and nobody rang to say why."
OUTCOME = "An apology and a new appointment this week"
# Friday 27 November 2026, 10am: an ordinary fortnight with no bank holidays.
ORDINARY_FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
# Wednesday 23 December 2026, 10am: Christmas, Boxing Day (substitute Monday 28th) and New Year's Day fall inside.
BEFORE_CHRISTMAS = datetime(2026, 12, 23, 10, 0, tzinfo=timezone.utc)


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def sent(dispatcher: CollectingDispatcher, response: str) -> dict[str, Any]:
    return next(message for message in dispatcher.messages if message.get("response") == response)


def fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def stranger_slots(**extra: Any) -> dict[str, Any]:
    return {"channel": "sms", "sender_address": STRANGER, "identified": False, "verified": False, **extra}


async def answer(domain: dict[str, Any], slots: dict[str, Any], text: str, **kwargs: Any) -> tuple[dict, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, slots=slots, active_loop="complaint_form", **kwargs)
    events = slot_sets(await ValidateComplaintForm().run(dispatcher, tracker, domain))
    return events, responses(dispatcher)


# -- the form -----------------------------------------------------------------------------------------------------


async def test_complaint_form_asks_a_stranger_no_identity_questions(housing, domain):
    """Anyone may complain: the form goes straight to what happened."""
    events, _ = await answer(domain, stranger_slots(), "I want to make a complaint", intent="make_complaint")
    assert events["requested_slot"] == "complaint_details"


async def test_complaint_form_takes_what_happened_in_the_tenants_words(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="complaint_details")
    events, _ = await answer(domain, slots, DETAILS, intent="inform")
    assert events["complaint_details"] == DETAILS
    assert events["requested_slot"] == "complaint_outcome"


@pytest.mark.parametrize("text", ["bad", "the repair", "\U0001f621\U0001f621\U0001f621", "?? !!"])
async def test_complaint_form_asks_for_more_than_a_couple_of_words(housing, domain, demo_tenant, text):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="complaint_details")
    events, sent_names = await answer(domain, slots, text)
    assert events["complaint_details"] is None
    assert events["requested_slot"] == "complaint_details"
    assert sent_names[0] == "utter_complaint_details_too_short"


async def test_complaint_form_trims_a_5000_character_account(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="complaint_details")
    events, _ = await answer(domain, slots, "nobody came to fix it " * 230)
    assert 0 < len(events["complaint_details"]) <= 1000


async def test_complaint_form_accepts_any_outcome_in_words(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, complaint_details=DETAILS, requested_slot="complaint_outcome")
    events, _ = await answer(domain, slots, "not sure")
    assert events["complaint_outcome"] == "not sure"
    assert events["requested_slot"] is None


async def test_complaint_form_asks_again_for_an_outcome_sent_as_emoji(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, complaint_details=DETAILS, requested_slot="complaint_outcome")
    events, sent_names = await answer(domain, slots, "\U0001f44e")
    assert events["complaint_outcome"] is None
    assert sent_names == ["utter_complaint_outcome_hint"]


# -- logging the complaint ---------------------------------------------------------------------------------------


def complaint_tracker(slots: dict[str, Any]) -> Any:
    return make_tracker(
        text=OUTCOME, slots={**slots, "complaint_details": DETAILS, "complaint_outcome": OUTCOME, "offer": "complaint"}
    )


async def test_log_complaint_gives_the_complaint_handling_code_stage_1_dates(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    """Complaint Handling Code stage 1: acknowledge within 5 working days, respond within 10 working days after."""
    tracker = complaint_tracker(known_sms_slots(demo_tenant.phone))
    events = await ActionLogComplaint(clock=fixed(ORDINARY_FRIDAY)).run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_complaint_logged"]
    logged = sent(dispatcher, "utter_complaint_logged")
    assert logged["reference"].startswith("CMP-")
    assert logged["acknowledge_by"] == day_in_words(date(2026, 12, 4))
    assert logged["acknowledge_by"].startswith("Friday 4 December")
    assert logged["respond_by"] == day_in_words(date(2026, 12, 18))
    assert slot_sets(events) == {"complaint_details": None, "complaint_outcome": None, "offer": None}
    with session_scope(housing) as session:
        complaint = complaints.get_or_raise(session=session, reference=logged["reference"])
        assert complaint.stage == 1
        assert complaint.status is ComplaintStatus.RECEIVED
        assert complaint.what_happened == DETAILS
        assert complaint.desired_outcome == OUTCOME
        assert complaint.stage1_acknowledge_by == date(2026, 12, 4)
        assert complaint.stage1_respond_by == date(2026, 12, 18)
        mine = complaints.list(session=session, tenancy_reference=demo_tenant.tenancy_reference)
        assert logged["reference"] in [c.reference for c in mine]


async def test_log_complaint_skips_bank_holidays_in_the_complaint_handling_code_dates(
    housing, domain, dispatcher, demo_tenant
):
    """Complaint Handling Code: working days exclude weekends and England & Wales bank holidays."""
    tracker = complaint_tracker(known_sms_slots(demo_tenant.phone))
    await ActionLogComplaint(clock=fixed(BEFORE_CHRISTMAS)).run(dispatcher, tracker, domain)
    logged = sent(dispatcher, "utter_complaint_logged")
    # 24, 29, 30, 31 December and 4 January: 25th, Boxing Day substitute (28th) and 1 January are skipped.
    assert logged["acknowledge_by"] == day_in_words(date(2027, 1, 4))
    assert logged["acknowledge_by"].startswith("Monday 4 January")
    assert logged["respond_by"] == day_in_words(date(2027, 1, 18))


async def test_log_complaint_needs_no_verification_for_a_known_sender(housing, domain, dispatcher, demo_tenant):
    """Anyone may complain; a known sender's complaint is linked to their tenancy without identity questions."""
    slots = known_sms_slots(demo_tenant.phone)
    assert slots["verified"] is False
    await ActionLogComplaint(clock=fixed(ORDINARY_FRIDAY)).run(dispatcher, complaint_tracker(slots), domain)
    assert responses(dispatcher) == ["utter_complaint_logged"]


async def test_log_complaint_hands_a_strangers_complaint_to_staff_with_its_words(
    housing: Callable[[], Session], domain, dispatcher
):
    """Never lose a complaint: without a tenancy it goes to staff, with the Code's acknowledgement date."""
    tracker = complaint_tracker(stranger_slots())
    events = await ActionLogComplaint(clock=fixed(ORDINARY_FRIDAY)).run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_complaint_passed_to_staff"]
    passed = sent(dispatcher, "utter_complaint_passed_to_staff")
    assert passed["reference"].startswith("HND-")
    assert passed["acknowledge_by"] == day_in_words(date(2026, 12, 4))
    assert slot_sets(events) == {"complaint_details": None, "complaint_outcome": None, "offer": None}
    with session_scope(housing) as session:
        handoff = handoffs.get_or_raise(session=session, reference=passed["reference"])
        assert DETAILS in (handoff.summary or "")
        assert OUTCOME in (handoff.summary or "")
        assert handoff.tenancy_id is None


async def test_log_complaint_keeps_the_words_when_nothing_can_be_saved(housing, domain, dispatcher):
    """A REST caller is no tenant channel: nothing can be queued, so the complaint stays for another try."""
    tracker = complaint_tracker({"channel": "rest"})
    events = await ActionLogComplaint(clock=fixed(ORDINARY_FRIDAY)).run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_error_try_later"]
    assert events == []


async def test_log_complaint_logs_nothing_when_the_form_was_stopped(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(text="cancel", slots=known_sms_slots(demo_tenant.phone, offer="complaint"))
    events = await ActionLogComplaint().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []
    assert slot_sets(events)["offer"] is None
