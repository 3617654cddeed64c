"""Emergency and welfare concern actions: safety advice first, then a record and a person, even when things fail."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import use_session_factory
from actions.safety import (
    ActionHandleEmergency,
    ActionLogConcern,
    Assessment,
    concern_urgency,
    safety_responses,
)
from bot.housing import handoffs, repairs, welfare
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import HandoffReason, Priority, Urgency
from bot.safety.triage import Danger
from tests.support.actions import known_sms_slots, make_tracker, responses

REPAIR_REFERENCE = re.compile(r"^REP-\d{6}[A-Z]$")
WELFARE_REFERENCE = re.compile(r"^WEL-\d{6}[A-Z]$")
OUT_OF_HOURS = "0113 496 0999"
LANDLORD_PHONE = "0113 496 0418"
STRANGER = "+447700900999"


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def unfilled(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> list[str]:
    """Return the placeholders of sent responses that the action left for Rasa to fill (and it could not)."""
    missing = []
    for message in dispatcher.messages:
        for variant in domain["responses"][message["response"]]:
            missing += [
                f"{message['response']}:{name}"
                for name in PLACEHOLDER.findall(variant.get("text") or "")
                if message.get(name) in (None, "")
            ]
    return missing


PROPERTY_HAZARDS = {
    "gas": "utter_safety_gas",
    "carbon_monoxide": "utter_safety_carbon_monoxide",
    "fire": "utter_safety_fire",
    "electrical": "utter_safety_electrical",
    "flood": "utter_safety_flood",
    "sewage": "utter_safety_sewage",
    "insecure_home": "utter_safety_insecure_home",
}


def hazard(value: str) -> list[dict[str, Any]]:
    return [{"entity": "hazard", "value": value}]


def triaged(danger: str, *, immediate: bool = False, category: str = "emergency") -> dict[str, Any]:
    """What the safety triage component adds to a message it flagged."""
    return {
        "safety_triage": {
            "danger": danger,
            "category": category,
            "matched": danger,
            "immediate_danger": immediate,
            "model_intent": "report_repair",
            "model_confidence": 0.6,
        }
    }


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def deactivates_form(events: list[dict[str, Any]]) -> bool:
    return any(e.get("event") == "active_loop" and e.get("name") is None for e in events)


def sent(dispatcher: CollectingDispatcher, name: str) -> dict[str, Any]:
    found = [m for m in dispatcher.messages if m.get("response") == name]
    assert found, f"{name} was not sent; sent {responses(dispatcher)}"
    return found[0]


def open_handoff_of(factory: Callable[[], Session], sender_id: str) -> Any:
    with session_scope(factory) as session:
        return handoffs.get_open(session=session, sender_id=sender_id)


@pytest.fixture
def database_down(tmp_path: Path) -> Iterator[None]:
    """Point the actions at a database that cannot be opened (its directory does not exist)."""
    engine = create_engine_for(f"sqlite:///{tmp_path / 'missing' / 'housing.db'}")
    use_session_factory(make_session_factory(engine))
    yield
    use_session_factory(None)
    engine.dispose()


# -- choosing the safety message (pure) ------------------------------------------------------------------------


@pytest.mark.parametrize("danger", list(Danger))
def test_safety_responses_name_a_domain_response_for_every_danger(danger: Danger, domain: dict[str, Any]) -> None:
    for name in safety_responses(Assessment(danger, immediate=True)):
        assert name in domain["responses"]


def test_safety_responses_put_call_999_first_for_an_immediate_gas_leak() -> None:
    """DOMAIN.md, "Safety messages": fire or immediate danger to life: call 999 (before the gas advice)."""
    assert safety_responses(Assessment(Danger.GAS, immediate=True)) == ["utter_safety_fire", "utter_safety_gas"]


def test_safety_responses_do_not_repeat_999_when_the_message_already_opens_with_it() -> None:
    assert safety_responses(Assessment(Danger.FIRE, immediate=True)) == ["utter_safety_fire"]
    assert safety_responses(Assessment(Danger.SELF_HARM, immediate=True)) == ["utter_safety_welfare"]


def test_safety_responses_give_general_999_advice_when_the_danger_is_unknown() -> None:
    assert safety_responses(Assessment(None, immediate=False)) == ["utter_safety_fire"]


def test_concern_urgency_is_emergency_for_words_of_danger_now_even_without_triage() -> None:
    calm = Assessment(Danger.PERSON_AT_RISK, immediate=False)
    assert concern_urgency(calm, "he's hitting her right now") is Urgency.EMERGENCY
    assert concern_urgency(calm, "haven't seen the old man at 12 for a week") is Urgency.HIGH
    assert concern_urgency(Assessment(None, immediate=True), "") is Urgency.EMERGENCY


# -- emergencies ---------------------------------------------------------------------------------------------


async def test_gas_emergency_from_a_known_number_sends_gas_advice_first_then_logs_an_emergency_repair(
    housing, domain, dispatcher, demo_tenant
):
    """DOMAIN.md, "Safety messages" (gas advice before anything else) and "Repair priorities" (gas smell is an
    emergency); no identity check is asked for in an emergency."""
    tracker = make_tracker(
        text="I can smell gas really strongly in the kitchen",
        intent="report_emergency",
        entities=hazard("gas"),
        slots=known_sms_slots(demo_tenant.phone),
        extra_message=triaged("gas"),
    )
    events = await ActionHandleEmergency().run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_safety_gas", "utter_emergency_logged"]
    assert unfilled(dispatcher, domain) == []
    reference = sent(dispatcher, "utter_emergency_logged")["reference"]
    assert REPAIR_REFERENCE.match(reference)
    with session_scope(housing) as session:
        job = repairs.get_or_raise(session=session, reference=reference)
        assert job.tenancy.reference == demo_tenant.tenancy_reference
        assert job.reported_priority is Priority.EMERGENCY
        assert job.priority is Priority.EMERGENCY
        assert "gas" in job.item
        assert job.description == "I can smell gas really strongly in the kitchen"
        assert (job.target_at - job.reported_at).total_seconds() <= 24 * 3600
    handoff = open_handoff_of(housing, "test-sender")
    assert handoff.reason is HandoffReason.EMERGENCY
    assert handoff.urgency is Urgency.EMERGENCY
    assert "I can smell gas really strongly in the kitchen" in handoff.summary
    assert reference in handoff.summary
    assert handoff.tenancy_id is not None
    assert deactivates_form(events)
    assert slot_sets(events)["requested_slot"] is None


@pytest.mark.parametrize(("value", "response"), sorted(PROPERTY_HAZARDS.items()))
async def test_each_hazard_gets_its_own_safety_message_before_anything_else(
    value, response, housing, domain, dispatcher, demo_tenant
):
    """DOMAIN.md, "Safety messages the assistant gives at once (before anything else)"."""
    tracker = make_tracker(
        text="help",
        intent="report_emergency",
        entities=hazard(value),
        slots=known_sms_slots(demo_tenant.phone),
        extra_message=triaged(value),
    )
    await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == [response, "utter_emergency_logged"]


async def test_immediate_danger_puts_the_999_message_before_the_carbon_monoxide_advice(
    housing, domain, dispatcher, demo_tenant
):
    """DOMAIN.md, "Safety messages": fire or immediate danger to life: call 999."""
    tracker = make_tracker(
        text="co alarm going off and my son has collapsed",
        intent="report_emergency",
        entities=hazard("carbon_monoxide"),
        slots=known_sms_slots(demo_tenant.phone),
        extra_message=triaged("carbon_monoxide", immediate=True),
    )
    await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[:2] == ["utter_safety_fire", "utter_safety_carbon_monoxide"]
    assert "immediate danger" in open_handoff_of(housing, "test-sender").summary


async def test_emergency_predicted_by_the_model_alone_runs_the_triage_on_the_text(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="there's water pouring through the ceiling",
        intent="report_emergency",
        slots=known_sms_slots(demo_tenant.phone),
    )
    await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_safety_flood"
    with session_scope(housing) as session:
        job = repairs.get_or_raise(session=session, reference=sent(dispatcher, "utter_emergency_logged")["reference"])
        assert job.item == "water leak or flooding"


async def test_emergency_the_triage_cannot_name_gets_the_general_999_advice_and_is_still_logged(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="it's an emergency please send someone",
        intent="report_emergency",
        slots=known_sms_slots(demo_tenant.phone),
    )
    await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_fire", "utter_emergency_logged"]


async def test_an_unknown_hazard_value_is_ignored_and_the_text_decides(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="smoke coming out of the plug socket",
        intent="report_emergency",
        entities=hazard("banana"),
        slots=known_sms_slots(demo_tenant.phone),
    )
    await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] in {"utter_safety_electrical", "utter_safety_fire"}
    assert responses(dispatcher)[-1] == "utter_emergency_logged"


async def test_emergency_repair_takes_the_item_and_room_the_tenant_named(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="the socket in the bedroom is sparking",
        intent="report_emergency",
        entities=[
            {"entity": "repair_item", "value": "socket"},
            {"entity": "location", "value": "bedroom"},
            *hazard("electrical"),
        ],
        slots=known_sms_slots(demo_tenant.phone),
        extra_message=triaged("electrical"),
    )
    await ActionHandleEmergency().run(dispatcher, tracker, domain)
    with session_scope(housing) as session:
        job = repairs.get_or_raise(session=session, reference=sent(dispatcher, "utter_emergency_logged")["reference"])
        assert (job.item, job.location) == ("socket", "bedroom")


async def test_emergency_in_the_middle_of_a_repair_form_closes_it_and_keeps_its_answers_for_staff(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="oh god now the socket under it is sparking and there's a burning smell",
        intent="report_emergency",
        entities=hazard("electrical"),
        slots=known_sms_slots(
            demo_tenant.phone,
            repair_item="light",
            repair_location="hallway",
            requested_slot="repair_description",
        ),
        active_loop="repair_form",
        extra_message=triaged("electrical"),
    )
    events = await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_safety_electrical"
    assert deactivates_form(events)
    slots = slot_sets(events)
    assert slots["requested_slot"] is None
    assert slots["repair_item"] is None and slots["repair_location"] is None
    summary = open_handoff_of(housing, "test-sender").summary
    assert "repair_form" in summary and "light" in summary and "hallway" in summary


async def test_emergency_from_a_stranger_alerts_staff_asks_for_the_address_and_reveals_nothing(
    housing, domain, dispatcher
):
    tracker = make_tracker(
        text="the front door has been kicked in and I can't lock it",
        intent="report_emergency",
        entities=hazard("insecure_home"),
        slots={"channel": "sms", "sender_address": STRANGER, "identified": False, "verified": False},
        extra_message=triaged("insecure_home"),
    )
    await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_insecure_home", "utter_emergency_no_tenancy"]
    assert unfilled(dispatcher, domain) == []
    assert sent(dispatcher, "utter_emergency_no_tenancy")["out_of_hours_phone"] == OUT_OF_HOURS
    handoff = open_handoff_of(housing, "test-sender")
    assert handoff.urgency is Urgency.EMERGENCY
    assert handoff.tenancy_id is None
    assert "kicked in" in handoff.summary


async def test_emergency_with_the_database_down_still_gives_the_safety_message_and_the_out_of_hours_number(
    database_down, domain, dispatcher, demo_tenant
):
    """DOMAIN.md, "Safety messages": the advice goes out whatever else fails, and the tenant is told to phone."""
    tracker = make_tracker(
        text="GAS SMELL",
        intent="report_emergency",
        entities=hazard("gas"),
        slots=known_sms_slots(demo_tenant.phone),
        active_loop="repair_form",
        extra_message=triaged("gas"),
    )
    events = await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_gas", "utter_emergency_not_logged"]
    assert unfilled(dispatcher, domain) == []
    assert sent(dispatcher, "utter_emergency_not_logged")["out_of_hours_phone"] == OUT_OF_HOURS
    assert deactivates_form(events)


async def test_emergency_on_a_channel_staff_cannot_answer_tells_the_sender_to_phone(housing, domain, dispatcher):
    tracker = make_tracker(text="fire in the flat", intent="report_emergency", entities=hazard("fire"))
    await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_fire", "utter_emergency_not_logged"]


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("", "utter_safety_fire"),
        ("\U0001f525\U0001f525\U0001f525", "utter_safety_fire"),
        ("My boiler has been playing up for weeks. " * 125 + "and now I can smell gas", "utter_safety_gas"),
    ],
    ids=["empty", "emoji-only", "5000-characters"],
)
async def test_emergency_garbage_still_gets_advice_and_a_logged_repair(
    text, first, housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(text=text, intent="report_emergency", slots=known_sms_slots(demo_tenant.phone))
    await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == first
    assert responses(dispatcher)[-1] == "utter_emergency_logged"
    with session_scope(housing) as session:
        job = repairs.get_or_raise(session=session, reference=sent(dispatcher, "utter_emergency_logged")["reference"])
        assert job.description.strip()
        assert len(job.description) <= 4000


async def test_emergency_twice_keeps_one_open_handoff_for_the_sender(housing, domain, demo_tenant):
    references = []
    for text in ("gas smell in the hall", "gas smell getting worse"):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(
            text=text,
            intent="report_emergency",
            entities=hazard("gas"),
            slots=known_sms_slots(demo_tenant.phone),
            extra_message=triaged("gas"),
        )
        await ActionHandleEmergency().run(dispatcher, tracker, domain)
        assert responses(dispatcher)[0] == "utter_safety_gas"
        references.append(open_handoff_of(housing, "test-sender").reference)
    assert references[0] == references[1]
    assert "getting worse" in open_handoff_of(housing, "test-sender").summary


async def test_emergency_with_dissatisfaction_offers_a_complaint_after_the_safety_advice(
    housing, domain, dispatcher, demo_tenant
):
    """Complaint Handling Code 1.3: dissatisfaction gets the offer of a complaint."""
    tracker = make_tracker(
        text="third time I've reported this gas smell and nobody came",
        intent="report_emergency",
        entities=hazard("gas"),
        slots=known_sms_slots(demo_tenant.phone),
        extra_message=triaged("gas"),
    )
    events = await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_gas", "utter_emergency_logged", "utter_offer_complaint"]
    assert slot_sets(events)["offer"] == "complaint"


async def test_emergency_clears_an_offer_that_was_waiting_for_an_answer(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="smoke everywhere",
        intent="report_emergency",
        entities=hazard("fire"),
        slots=known_sms_slots(demo_tenant.phone, offer="person"),
        extra_message=triaged("fire", immediate=True),
    )
    events = await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert slot_sets(events)["offer"] is None


async def test_emergency_action_given_a_person_at_risk_logs_a_welfare_concern_and_closes_the_form(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="my neighbour says she is going to end it tonight",
        intent="report_emergency",
        entities=hazard("self_harm"),
        slots=known_sms_slots(demo_tenant.phone),
        active_loop="repair_form",
        extra_message=triaged("self_harm", immediate=True, category="welfare"),
    )
    events = await ActionHandleEmergency().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_welfare", "utter_concern_logged", "utter_concern_ask_more"]
    assert WELFARE_REFERENCE.match(sent(dispatcher, "utter_concern_logged")["reference"])
    assert deactivates_form(events)


# -- welfare concerns ----------------------------------------------------------------------------------------


async def test_concern_sends_the_welfare_numbers_first_then_logs_it_and_asks_for_more(
    housing, domain, dispatcher, demo_tenant
):
    """DOMAIN.md, "Safety messages": someone at risk of harm: 999, Samaritans, domestic abuse helpline first."""
    text = "the old fella at number 12 hasn't opened his curtains for four days"
    tracker = make_tracker(
        text=text,
        intent="report_concern",
        entities=hazard("person_at_risk"),
        slots=known_sms_slots(demo_tenant.phone),
        extra_message=triaged("person_at_risk", category="welfare"),
    )
    events = await ActionLogConcern().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_welfare", "utter_concern_logged", "utter_concern_ask_more"]
    assert unfilled(dispatcher, domain) == []
    reference = sent(dispatcher, "utter_concern_logged")["reference"]
    assert WELFARE_REFERENCE.match(reference)
    with session_scope(housing) as session:
        concern = welfare.get_or_raise(session=session, reference=reference)
        assert concern.concern == text
        assert concern.urgency is Urgency.HIGH
        assert concern.reporter_address == demo_tenant.phone
        assert concern.reporter_channel.value == "sms"
        assert concern.tenancy_id is None  # not verified: the record does not tie the reporter to a tenancy
    handoff = open_handoff_of(housing, "test-sender")
    assert handoff.reason is HandoffReason.WELFARE
    assert handoff.urgency is Urgency.HIGH
    assert text in handoff.summary and reference in handoff.summary
    assert slot_sets(events) == {"offer": None}


async def test_concern_in_immediate_danger_is_an_emergency_for_staff(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="he's hitting her next door, I can hear screaming",
        intent="report_concern",
        entities=hazard("domestic_abuse"),
        slots=known_sms_slots(demo_tenant.phone),
        extra_message=triaged("domestic_abuse", immediate=True, category="welfare"),
    )
    await ActionLogConcern().run(dispatcher, tracker, domain)
    with session_scope(housing) as session:
        concern = welfare.get_or_raise(session=session, reference=sent(dispatcher, "utter_concern_logged")["reference"])
        assert concern.urgency is Urgency.EMERGENCY
    assert open_handoff_of(housing, "test-sender").urgency is Urgency.EMERGENCY


async def test_concern_from_a_verified_tenant_is_linked_to_their_tenancy(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="worried about my neighbour, not seen her for a week",
        intent="report_concern",
        slots=known_sms_slots(demo_tenant.phone, verified=True),
    )
    await ActionLogConcern().run(dispatcher, tracker, domain)
    with session_scope(housing) as session:
        concern = welfare.get_or_raise(session=session, reference=sent(dispatcher, "utter_concern_logged")["reference"])
        assert concern.tenancy_id is not None


async def test_concern_inside_a_form_leaves_the_form_to_ask_its_question_again(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="I'm scared for his little girl, I heard him hitting her last night",
        intent="report_concern",
        entities=hazard("child_at_risk"),
        slots=known_sms_slots(demo_tenant.phone, requested_slot="asb_when"),
        active_loop="asb_form",
        extra_message=triaged("child_at_risk", category="welfare"),
    )
    events = await ActionLogConcern().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_welfare", "utter_concern_logged"]
    assert events == []


async def test_concern_from_a_stranger_on_telegram_is_logged_and_reveals_nothing(housing, domain, dispatcher):
    tracker = make_tracker(
        text="a kid on the 3rd floor is left alone all night",
        intent="report_concern",
        slots={"channel": "telegram", "sender_address": "123456789", "identified": False, "verified": False},
    )
    await ActionLogConcern().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_welfare", "utter_concern_logged", "utter_concern_ask_more"]
    with session_scope(housing) as session:
        concern = welfare.get_or_raise(session=session, reference=sent(dispatcher, "utter_concern_logged")["reference"])
        assert (concern.reporter_channel.value, concern.reporter_address) == ("telegram", "123456789")
        assert concern.tenancy_id is None


async def test_concern_from_a_malformed_address_is_still_logged_without_it(housing, domain, dispatcher):
    tracker = make_tracker(
        text="my friend said she wants to die",
        intent="report_concern",
        slots={"channel": "telegram", "sender_address": "not-an-id", "identified": False, "verified": False},
    )
    await ActionLogConcern().run(dispatcher, tracker, domain)
    with session_scope(housing) as session:
        concern = welfare.get_or_raise(session=session, reference=sent(dispatcher, "utter_concern_logged")["reference"])
        assert concern.reporter_address is None


async def test_concern_with_the_database_down_still_gives_the_welfare_numbers_and_says_to_phone(
    database_down, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="my neighbour hasn't been seen for days",
        intent="report_concern",
        entities=hazard("person_at_risk"),
        slots=known_sms_slots(demo_tenant.phone),
        extra_message=triaged("person_at_risk", category="welfare"),
    )
    await ActionLogConcern().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_safety_welfare", "utter_concern_not_logged"]
    assert unfilled(dispatcher, domain) == []
    message = sent(dispatcher, "utter_concern_not_logged")
    assert (message["landlord_phone"], message["out_of_hours_phone"]) == (LANDLORD_PHONE, OUT_OF_HOURS)


@pytest.mark.parametrize(
    "text", ["", "\U0001f622\U0001f622", "please help " * 500], ids=["empty", "emoji-only", "5000-characters"]
)
async def test_concern_garbage_is_still_logged_for_staff(text, housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(text=text, intent="report_concern", slots=known_sms_slots(demo_tenant.phone))
    await ActionLogConcern().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_safety_welfare"
    reference = sent(dispatcher, "utter_concern_logged")["reference"]
    with session_scope(housing) as session:
        concern = welfare.get_or_raise(session=session, reference=reference)
        assert concern.concern.strip() and len(concern.concern) <= 4000


async def test_concern_with_a_hazard_in_the_home_also_gets_that_hazard_advice(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="my elderly neighbour and I can smell gas from her flat",
        intent="report_concern",
        entities=hazard("gas"),
        slots=known_sms_slots(demo_tenant.phone),
    )
    await ActionLogConcern().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[:2] == ["utter_safety_welfare", "utter_safety_gas"]
