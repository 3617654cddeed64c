"""Damp and mould reports under Awaab's Law, against the seeded demo housing database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.damp import (
    NO_HEALTH_EFFECTS,
    ActionLogDampCase,
    ValidateDampForm,
    hazard_extent,
    hazard_severity,
    split_rooms,
)
from actions.formatting import day_in_words
from bot.housing import handoffs, hazards
from bot.housing.db import session_scope
from bot.housing.enums import HandoffReason, HazardExtent, HazardSeverity, Urgency
from tests.support.actions import known_sms_slots, make_tracker, responses

STRANGER = "+447700900999"
# Monday 21 December 2026, 10am in London: Christmas and New Year bank holidays fall inside the 10 working days.
MONDAY_BEFORE_CHRISTMAS = datetime(2026, 12, 21, 10, 0, tzinfo=timezone.utc)
# Thursday 1 July 2027, 9am UTC = 10am in London (British Summer Time).
SUMMER_MORNING = datetime(2027, 7, 1, 9, 0, tzinfo=timezone.utc)


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def sent(dispatcher: CollectingDispatcher, response: str) -> dict[str, Any]:
    return next(message for message in dispatcher.messages if message.get("response") == response)


def stranger_slots(**extra: Any) -> dict[str, Any]:
    return {"channel": "sms", "sender_address": STRANGER, "identified": False, "verified": False, **extra}


def damp_answers(**overrides: Any) -> dict[str, Any]:
    answers = {
        "damp_rooms": "the bathroom and back bedroom",
        "damp_extent": "a whole wall of black mould behind the wardrobe",
        "damp_household": "me and my husband",
        "damp_health_effects": NO_HEALTH_EFFECTS,
    }
    return {**answers, **overrides}


def fixed(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def user_event(text: str, intent: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


async def answer(domain: dict[str, Any], slots: dict[str, Any], text: str, **kwargs: Any) -> tuple[dict, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, slots=slots, active_loop="damp_form", **kwargs)
    events = slot_sets(await ValidateDampForm().run(dispatcher, tracker, domain))
    return events, responses(dispatcher)


# -- Awaab's Law: emergency or significant ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("household", "health", "descriptions"),
    [
        ("me and my 3 month old baby", "she has had a cough for weeks", []),
        ("my newborn son and me", "he keeps wheezing", []),
        ("my daughter, she has asthma", "her asthma is much worse", []),
        ("my husband is on chemotherapy", "he has a chest infection", []),
        ("just me", "I was admitted to hospital with breathing problems", []),
        ("just me", NO_HEALTH_EFFECTS, ["water is dripping through the light fitting"]),
        ("just me", NO_HEALTH_EFFECTS, ["the bathroom ceiling is bulging and cracking"]),
        ("just me", NO_HEALTH_EFFECTS, ["water coming in round the plug socket"]),
        ("just me", NO_HEALTH_EFFECTS, ["water dripping from the ceiling lights in the kitchen"]),
        ("just me", NO_HEALTH_EFFECTS, ["the fuse box is wet"]),
    ],
)
def test_hazard_severity_is_an_emergency_for_imminent_and_significant_risk_under_awaabs_law(
    household: str, health: str, descriptions: list[str]
) -> None:
    """Awaab's Law: an imminent and significant risk of harm is an emergency hazard (made safe within 24 hours)."""
    assert hazard_severity(household=household, health_effects=health, descriptions=descriptions) is (
        HazardSeverity.EMERGENCY
    )


@pytest.mark.parametrize(
    ("household", "health", "descriptions"),
    [
        ("me and my 3 month old baby", NO_HEALTH_EFFECTS, ["mould around the window"]),
        ("me and my baby", "no", []),
        ("no babies, just me and my husband", "my chest feels tight", []),
        ("just me", "I get headaches", ["black mould on the bedroom wall"]),
        ("just me", NO_HEALTH_EFFECTS, ["mould around the light switch"]),
        ("just me", NO_HEALTH_EFFECTS, ["I can't afford the electric heating, water runs down the windows"]),
        ("", "", []),
    ],
)
def test_hazard_severity_is_significant_otherwise_under_awaabs_law(
    household: str, health: str, descriptions: list[str]
) -> None:
    """Awaab's Law: damp and mould without imminent risk is a significant hazard (investigated in 10 working days)."""
    assert hazard_severity(household=household, health_effects=health, descriptions=descriptions) is (
        HazardSeverity.SIGNIFICANT
    )


def test_split_rooms_reads_a_list_of_rooms_and_refuses_garbage() -> None:
    assert split_rooms("the bathroom and both bedrooms, kitchen") == ["bathroom", "bedrooms", "kitchen"]
    assert split_rooms("\U0001f62d\U0001f62d") == ["not stated"]
    assert split_rooms("x" * 5000) == ["x" * 60]


def test_hazard_extent_maps_the_tenants_words() -> None:
    assert hazard_extent("a small patch by the window", ["bathroom"]) is HazardExtent.SMALL
    assert hazard_extent("a whole wall", ["bedroom"]) is HazardExtent.MODERATE
    assert hazard_extent("it's spreading everywhere", ["bedroom"]) is HazardExtent.EXTENSIVE
    assert hazard_extent("a small patch", ["bathroom", "kitchen", "hall"]) is HazardExtent.EXTENSIVE


# -- the form -----------------------------------------------------------------------------------------------------


async def test_damp_form_asks_a_known_sender_no_identity_questions(housing, domain, demo_tenant):
    events, _ = await answer(domain, known_sms_slots(demo_tenant.phone), "I've got mould", intent="report_damp_mould")
    assert events["requested_slot"] == "damp_rooms"


async def test_damp_form_asks_a_stranger_to_verify_first(housing, domain):
    events, _ = await answer(domain, stranger_slots(), "there's mould everywhere", intent="report_damp_mould")
    assert events["requested_slot"] == "tenancy_reference"


async def test_damp_form_still_takes_the_report_when_verification_is_locked(housing, domain):
    """Never lose a hazard report: a sender locked out of verification still gets the damp questions."""
    slots = stranger_slots(verification_blocked=True)
    events, _ = await answer(domain, slots, "mould in the kitchen", intent="report_damp_mould")
    assert events["requested_slot"] == "damp_rooms"


async def test_damp_form_keeps_every_room_named_in_the_first_message(housing, domain, demo_tenant):
    events, _ = await answer(
        domain,
        known_sms_slots(demo_tenant.phone),
        "there's mould in the bathroom and the bedroom",
        intent="report_damp_mould",
        entities=[{"entity": "location", "value": "bathroom"}, {"entity": "location", "value": "bedroom"}],
    )
    assert events["damp_rooms"] == "bathroom, bedroom"
    assert events["requested_slot"] == "damp_extent"


async def test_damp_form_takes_the_rooms_in_the_tenants_words(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="damp_rooms")
    events, _ = await answer(domain, slots, "the kids bedroom and   the bathroom", intent="inform")
    assert events["damp_rooms"] == "the kids bedroom and the bathroom"
    assert events["requested_slot"] == "damp_extent"


async def test_damp_form_asks_again_for_rooms_sent_as_emoji(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="damp_rooms")
    events, sent_names = await answer(domain, slots, "\U0001f62d\U0001f62d\U0001f62d")
    assert events["damp_rooms"] is None
    assert events["requested_slot"] == "damp_rooms"
    assert sent_names[0] == "utter_damp_rooms_hint"


async def test_damp_form_trims_a_5000_character_answer(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, damp_rooms="bathroom", requested_slot="damp_extent")
    events, _ = await answer(domain, slots, "mould " * 1000)
    assert 0 < len(events["damp_extent"]) <= 1000


@pytest.mark.parametrize(("text", "intent"), [("no", "deny"), ("None", "inform"), ("nope not really", "deny")])
async def test_damp_form_reads_no_as_no_health_effects(housing, domain, demo_tenant, text, intent):
    slots = known_sms_slots(
        demo_tenant.phone,
        damp_rooms="bathroom",
        damp_extent="a patch",
        damp_household="me",
        requested_slot="damp_health_effects",
    )
    events, _ = await answer(domain, slots, text, intent=intent)
    assert events["damp_health_effects"] == "none reported"
    assert events["requested_slot"] is None


async def test_damp_form_keeps_what_follows_a_no_about_health(housing, domain, demo_tenant):
    slots = known_sms_slots(
        demo_tenant.phone,
        damp_rooms="bathroom",
        damp_extent="a patch",
        damp_household="me and my son",
        requested_slot="damp_health_effects",
    )
    events, _ = await answer(domain, slots, "no not me, but my son's asthma has got much worse", intent="deny")
    assert events["damp_health_effects"] == "no not me, but my son's asthma has got much worse"


async def test_damp_form_lets_the_tenant_cancel(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="damp_extent", damp_rooms="bathroom")
    events, _ = await answer(domain, slots, "forget it")
    assert "damp_extent" not in events


# -- logging the case ---------------------------------------------------------------------------------------------


async def test_log_damp_case_opens_a_significant_hazard_with_the_awaabs_law_investigation_date(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    """Awaab's Law: a significant hazard is investigated within 10 working days (bank holidays excluded)."""
    tracker = make_tracker(text="no", intent="deny", slots=known_sms_slots(demo_tenant.phone, **damp_answers()))
    events = await ActionLogDampCase(clock=fixed(MONDAY_BEFORE_CHRISTMAS)).run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_damp_logged_significant", "utter_damp_tips"]
    logged = sent(dispatcher, "utter_damp_logged_significant")
    # 22, 23, 24, 29, 30, 31 December, 4, 5, 6, 7 January: Christmas, Boxing Day (28th) and New Year skipped.
    assert logged["investigate_by"] == day_in_words(date(2027, 1, 7))
    assert logged["investigate_by"].startswith("Thursday 7 January")
    assert logged["reference"].startswith("HAZ-")
    # The answers are cleared and the case is remembered, so a photo sent next is attached to it.
    assert slot_sets(events) == {**{slot: None for slot in damp_answers()}, "hazard_reference": logged["reference"]}
    with session_scope(housing) as session:
        case = hazards.get_or_raise(session=session, reference=logged["reference"])
        assert case.severity is HazardSeverity.SIGNIFICANT
        assert case.investigate_by == date(2027, 1, 7)
        assert case.rooms == ["bathroom", "back bedroom"]
        assert case.extent is HazardExtent.MODERATE
        assert case.occupants == "me and my husband"
        assert logged["reference"] in [c.reference for c in hazards.list(session=session, tenancy_reference="TN104233")]
        assert handoffs.get_open(session=session, sender_id=tracker.sender_id) is None


async def test_log_damp_case_opens_an_emergency_hazard_for_a_baby_with_health_effects(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    """Awaab's Law: an emergency hazard is made safe within 24 hours, and staff are alerted at once."""
    answers = damp_answers(damp_household="me and my 4 month old baby", damp_health_effects="she keeps coughing")
    tracker = make_tracker(text="she keeps coughing", slots=known_sms_slots(demo_tenant.phone, **answers))
    await ActionLogDampCase(clock=fixed(MONDAY_BEFORE_CHRISTMAS)).run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_damp_logged_emergency", "utter_damp_tips"]
    logged = sent(dispatcher, "utter_damp_logged_emergency")
    assert logged["make_safe_by"] == f"10am on {day_in_words(date(2026, 12, 22))}"
    with session_scope(housing) as session:
        case = hazards.get_or_raise(session=session, reference=logged["reference"])
        assert case.severity is HazardSeverity.EMERGENCY
        assert case.health_effects == "she keeps coughing"
        alert = handoffs.get_open(session=session, sender_id=tracker.sender_id)
        assert alert is not None
        assert alert.reason is HandoffReason.EMERGENCY
        assert alert.urgency is Urgency.EMERGENCY
        assert logged["reference"] in (alert.summary or "")


async def test_log_damp_case_states_the_emergency_deadline_in_london_summer_time(
    housing, domain, dispatcher, demo_tenant
):
    """Awaab's Law: the 24 hours are told to the tenant in UK time (9am UTC in July is 10am in London)."""
    answers = damp_answers(damp_extent="water is pouring through the light fitting in the bathroom")
    tracker = make_tracker(text="no", intent="deny", slots=known_sms_slots(demo_tenant.phone, **answers))
    await ActionLogDampCase(clock=fixed(SUMMER_MORNING)).run(dispatcher, tracker, domain)
    assert sent(dispatcher, "utter_damp_logged_emergency")["make_safe_by"] == (
        f"10am on {day_in_words(date(2027, 7, 2))}"
    )


async def test_log_damp_case_reads_a_collapsing_ceiling_from_the_first_message(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    """Awaab's Law: what the tenant said when starting the report counts (a ceiling coming down is an emergency)."""
    events = [
        user_event("the ceiling in the bathroom is sagging and there's mould", "report_damp_mould"),
        user_event("bathroom", "inform"),
        user_event("no", "deny"),
    ]
    tracker = make_tracker(
        text="no", intent="deny", events=events, slots=known_sms_slots(demo_tenant.phone, **damp_answers())
    )
    await ActionLogDampCase(clock=fixed(MONDAY_BEFORE_CHRISTMAS)).run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_damp_logged_emergency"


async def test_log_damp_case_hands_a_strangers_report_to_staff(housing: Callable[[], Session], domain, dispatcher):
    """Never lose a report: an unmatched sender's damp report becomes a handoff with the Awaab's Law clock."""
    tracker = make_tracker(text="no", intent="deny", slots=stranger_slots(**damp_answers()))
    events = await ActionLogDampCase(clock=fixed(MONDAY_BEFORE_CHRISTMAS)).run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_damp_passed_to_staff", "utter_damp_tips"]
    reference = sent(dispatcher, "utter_damp_passed_to_staff")["reference"]
    assert reference.startswith("HND-")
    assert slot_sets(events) == {slot: None for slot in damp_answers()}
    with session_scope(housing) as session:
        handoff = handoffs.get_or_raise(session=session, reference=reference)
        assert handoff.tenancy_id is None
        assert "back bedroom" in (handoff.summary or "")
        assert "Awaab's Law" in (handoff.summary or "")
        assert day_in_words(date(2027, 1, 7)) in (handoff.summary or "")


async def test_log_damp_case_hands_a_strangers_emergency_to_staff_as_an_emergency(
    housing: Callable[[], Session], domain, dispatcher
):
    answers = damp_answers(damp_household="me and my newborn", damp_health_effects="he is wheezing")
    tracker = make_tracker(text="he is wheezing", slots=stranger_slots(**answers))
    await ActionLogDampCase(clock=fixed(MONDAY_BEFORE_CHRISTMAS)).run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_damp_passed_to_staff_emergency", "utter_damp_tips"]
    with session_scope(housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=tracker.sender_id)
        assert handoff is not None
        assert handoff.urgency is Urgency.EMERGENCY
        assert "EMERGENCY" in (handoff.summary or "")


async def test_log_damp_case_keeps_the_answers_when_nothing_can_be_saved(housing, domain, dispatcher):
    """A REST caller is no tenant channel: nothing can be queued, so the answers stay for another try."""
    tracker = make_tracker(text="no", intent="deny", slots={"channel": "rest", **damp_answers()})
    events = await ActionLogDampCase(clock=fixed(MONDAY_BEFORE_CHRISTMAS)).run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_error_try_later"]
    assert sent(dispatcher, "utter_error_try_later")["landlord_phone"]
    assert events == []


async def test_log_damp_case_offers_a_complaint_when_the_tenant_is_fed_up(housing, domain, dispatcher, demo_tenant):
    """Complaint Handling Code 1.3: dissatisfaction in a damp report earns the offer of a complaint."""
    events = [user_event("the mould is back AGAIN, third time I've reported it", "report_damp_mould")]
    tracker = make_tracker(
        text="no", intent="deny", events=events, slots=known_sms_slots(demo_tenant.phone, **damp_answers())
    )
    result = await ActionLogDampCase(clock=fixed(MONDAY_BEFORE_CHRISTMAS)).run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_damp_logged_significant", "utter_damp_tips", "utter_offer_complaint"]
    assert slot_sets(result)["offer"] == "complaint"


async def test_log_damp_case_does_not_offer_a_complaint_for_a_plain_report(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(text="no", intent="deny", slots=known_sms_slots(demo_tenant.phone, **damp_answers()))
    result = await ActionLogDampCase(clock=fixed(MONDAY_BEFORE_CHRISTMAS)).run(dispatcher, tracker, domain)
    assert "offer" not in slot_sets(result)


async def test_log_damp_case_logs_nothing_when_the_form_was_stopped(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(text="cancel", slots=known_sms_slots(demo_tenant.phone))
    events = await ActionLogDampCase().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []
    assert slot_sets(events) == {slot: None for slot in damp_answers()}
