"""Anti-social behaviour reports, against the seeded demo housing database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.asb import ActionLogAsb, ValidateAsbForm, asb_category, response_days
from bot.housing import asb, handoffs
from bot.housing.db import session_scope
from bot.housing.enums import AsbCategory, Urgency
from tests.support.actions import known_sms_slots, make_tracker, responses

STRANGER = "+447700900999"
NOW = datetime(2026, 12, 1, 19, 30, tzinfo=timezone.utc)


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def sent(dispatcher: CollectingDispatcher, response: str) -> dict[str, Any]:
    return next(message for message in dispatcher.messages if message.get("response") == response)


def stranger_slots(**extra: Any) -> dict[str, Any]:
    return {"channel": "sms", "sender_address": STRANGER, "identified": False, "verified": False, **extra}


def asb_answers(**overrides: Any) -> dict[str, Any]:
    answers = {
        "asb_description": "Loud music and shouting from the flat above",
        "asb_when": "every night after 11pm",
        "asb_where": "the flat above me",
        "asb_ongoing": True,
        "asb_threats": False,
    }
    return {**answers, **overrides}


def user_event(text: str, intent: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


async def answer(domain: dict[str, Any], slots: dict[str, Any], text: str, **kwargs: Any) -> tuple[dict, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, slots=slots, active_loop="asb_form", **kwargs)
    events = slot_sets(await ValidateAsbForm().run(dispatcher, tracker, domain))
    return events, responses(dispatcher)


async def log(dispatcher: CollectingDispatcher, domain: dict[str, Any], slots: dict[str, Any], **kwargs: Any) -> list:
    tracker = make_tracker(text="no", intent="deny", slots=slots, **kwargs)
    return await ActionLogAsb(clock=lambda: NOW).run(dispatcher, tracker, domain)


# -- deciding the kind and the priority ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("loud music every night", AsbCategory.NOISE),
        ("loud music and last night he threatened to kill me", AsbCategory.THREATS),
        ("he punched my son in the car park", AsbCategory.VIOLENCE),
        ("they shout racist abuse at us", AsbCategory.HATE),
        ("she keeps swearing at me and following me", AsbCategory.HARASSMENT),
        ("people dealing drugs in the stairwell", AsbCategory.DRUGS),
        ("someone smashed my car window", AsbCategory.VANDALISM),
        ("a mattress dumped by the bins", AsbCategory.FLY_TIPPING),
        ("dog mess all over the path", AsbCategory.DOG_FOULING),
        ("kids hanging around smoking", AsbCategory.NUISANCE),
        ("no threats, just loud music", AsbCategory.NOISE),
        ("I hate the noise", AsbCategory.NOISE),
        ("something odd", AsbCategory.OTHER),
        ("", AsbCategory.OTHER),
    ],
)
def test_asb_category_reads_the_most_serious_kind_from_the_description(description, category) -> None:
    assert asb_category(description) is category


def test_response_days_are_one_working_day_when_urgent_and_five_otherwise() -> None:
    assert response_days(Urgency.HIGH) == "1 working day"
    assert response_days(Urgency.NORMAL) == "5 working days"


# -- the form -----------------------------------------------------------------------------------------------------


async def test_asb_form_asks_a_stranger_no_identity_questions(housing, domain):
    """Anyone may report anti-social behaviour, including people who are not our tenants."""
    events, _ = await answer(
        domain, stranger_slots(), "my neighbours are a nightmare", intent="report_antisocial_behaviour"
    )
    assert events["requested_slot"] == "asb_description"


async def test_asb_form_takes_when_and_where_in_the_tenants_words(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, asb_description="loud music", requested_slot="asb_when")
    events, _ = await answer(domain, slots, "every   night after 11pm")
    assert events["asb_when"] == "every night after 11pm"
    assert events["requested_slot"] == "asb_where"


async def test_asb_form_trims_a_5000_character_location_to_what_the_case_keeps(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, asb_description="noise", asb_when="nights", requested_slot="asb_where")
    events, _ = await answer(domain, slots, "the stairwell " * 360)
    assert 0 < len(events["asb_where"]) <= 200


async def test_asb_form_asks_again_for_a_description_sent_as_emoji(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="asb_description")
    events, sent_names = await answer(domain, slots, "\U0001f621\U0001f621")
    assert events["asb_description"] is None
    assert sent_names == ["utter_asb_answer_hint"]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [("yes", "affirm", True), ("/deny", "deny", False), ("yeah still going on", None, True), ("nope", None, False)],
)
async def test_asb_form_reads_yes_or_no_for_ongoing(housing, domain, demo_tenant, text, intent, expected):
    slots = known_sms_slots(
        demo_tenant.phone,
        asb_description="noise",
        asb_when="nights",
        asb_where="upstairs",
        requested_slot="asb_ongoing",
    )
    events, _ = await answer(domain, slots, text, intent=intent)
    assert events["asb_ongoing"] is expected
    assert events["requested_slot"] == "asb_threats"


@pytest.mark.parametrize("text", ["banana", "not sure", "maybe", "\U0001f937"])
async def test_asb_form_asks_again_when_the_answer_is_not_yes_or_no(housing, domain, demo_tenant, text):
    slots = known_sms_slots(
        demo_tenant.phone,
        asb_description="noise",
        asb_when="nights",
        asb_where="upstairs",
        requested_slot="asb_ongoing",
    )
    events, sent_names = await answer(domain, slots, text, intent="inform")
    assert events["asb_ongoing"] is None
    assert events["requested_slot"] == "asb_ongoing"
    assert sent_names == ["utter_asb_yes_or_no"]


async def test_asb_form_takes_a_described_threat_as_yes(housing, domain, demo_tenant):
    slots = known_sms_slots(
        demo_tenant.phone,
        asb_description="noise",
        asb_when="nights",
        asb_where="upstairs",
        asb_ongoing=True,
        requested_slot="asb_threats",
    )
    events, _ = await answer(domain, slots, "he said he would kill me if I reported him", intent="inform")
    assert events["asb_threats"] is True
    assert events["requested_slot"] is None


# -- logging the case ---------------------------------------------------------------------------------------------


async def test_log_asb_opens_a_normal_case_with_a_five_working_day_response(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    events = await log(dispatcher, domain, known_sms_slots(demo_tenant.phone, **asb_answers()))

    assert responses(dispatcher) == ["utter_asb_logged"]
    logged = sent(dispatcher, "utter_asb_logged")
    assert logged["reference"].startswith("ASB-")
    assert logged["priority"] == "normal"
    assert logged["response_days"] == "5 working days"
    assert slot_sets(events) == {slot: None for slot in asb_answers()}
    with session_scope(housing) as session:
        case = asb.get_or_raise(session=session, reference=logged["reference"])
        assert case.category is AsbCategory.NOISE
        assert case.urgency is Urgency.NORMAL
        assert case.occurred == "every night after 11pm"
        assert case.location == "the flat above me"
        assert case.ongoing is True
        assert case.involves_threats is False
        mine = asb.list(session=session, tenancy_reference=demo_tenant.tenancy_reference)
        assert logged["reference"] in [c.reference for c in mine]


async def test_log_asb_warns_about_danger_first_and_makes_threats_urgent(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    await log(dispatcher, domain, known_sms_slots(demo_tenant.phone, **asb_answers(asb_threats=True)))

    assert responses(dispatcher) == ["utter_asb_danger", "utter_asb_logged"]
    logged = sent(dispatcher, "utter_asb_logged")
    assert logged["priority"] == "urgent"
    assert logged["response_days"] == "1 working day"
    with session_scope(housing) as session:
        case = asb.get_or_raise(session=session, reference=logged["reference"])
        assert case.urgency is Urgency.HIGH
        assert case.involves_threats is True


async def test_log_asb_makes_hate_urgent_even_without_a_yes_to_threats(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    answers = asb_answers(asb_description="They shout homophobic abuse at me on the stairs", asb_threats=False)
    await log(dispatcher, domain, known_sms_slots(demo_tenant.phone, **answers))

    assert responses(dispatcher) == ["utter_asb_logged"]
    logged = sent(dispatcher, "utter_asb_logged")
    assert logged["priority"] == "urgent"
    with session_scope(housing) as session:
        case = asb.get_or_raise(session=session, reference=logged["reference"])
        assert case.category is AsbCategory.HATE
        assert case.hate_related is True


async def test_log_asb_hands_an_anonymous_report_to_staff(housing: Callable[[], Session], domain, dispatcher):
    """Never lose a report: a sender with no tenancy is handed to staff with every answer."""
    events = await log(dispatcher, domain, stranger_slots(**asb_answers(asb_threats=True)))

    assert responses(dispatcher) == ["utter_asb_danger", "utter_asb_passed_to_staff"]
    passed = sent(dispatcher, "utter_asb_passed_to_staff")
    assert passed["reference"].startswith("HND-")
    assert passed["response_days"] == "1 working day"
    assert slot_sets(events) == {slot: None for slot in asb_answers()}
    with session_scope(housing) as session:
        handoff = handoffs.get_or_raise(session=session, reference=passed["reference"])
        assert handoff.urgency is Urgency.HIGH
        assert "Loud music and shouting" in (handoff.summary or "")
        assert "every night after 11pm" in (handoff.summary or "")
        assert "Threats or hate: yes" in (handoff.summary or "")


async def test_log_asb_keeps_the_answers_when_nothing_can_be_saved(housing, domain, dispatcher):
    events = await log(dispatcher, domain, {"channel": "rest", **asb_answers()})
    assert responses(dispatcher) == ["utter_error_try_later"]
    assert events == []


async def test_log_asb_offers_a_complaint_when_the_tenant_says_nothing_was_done(
    housing, domain, dispatcher, demo_tenant
):
    """Complaint Handling Code 1.3: dissatisfaction in a report earns the offer of a complaint."""
    events = [user_event("I've reported the noise 5 times and nobody has done anything", "report_antisocial_behaviour")]
    result = await log(dispatcher, domain, known_sms_slots(demo_tenant.phone, **asb_answers()), events=events)
    assert responses(dispatcher) == ["utter_asb_logged", "utter_offer_complaint"]
    assert slot_sets(result)["offer"] == "complaint"


async def test_log_asb_logs_nothing_when_the_form_was_stopped(housing, domain, dispatcher, demo_tenant):
    events = await log(dispatcher, domain, known_sms_slots(demo_tenant.phone))
    assert dispatcher.messages == []
    assert slot_sets(events) == {slot: None for slot in asb_answers()}
