"""Conversation housekeeping, contact details and FAQ answers (actions/conversation.py, contact.py, faq.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.contact import ActionContactInfo
from actions.conversation import (
    NEVER_CONFIRMED,
    ActionDeclineOffer,
    ActionDefaultAskAffirmation,
    ActionDefaultFallback,
    ActionStop,
    intent_description,
)
from actions.faq import ActionAnswerFaq, faq_topic
from bot.landlord import FAQ_TOPICS, get_landlord
from tests.support.actions import make_tracker, responses

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def rendered(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> list[str]:
    """Fill each sent response's first variant with the values the action passed, as the tenant would read it."""
    texts = []
    for message in dispatcher.messages:
        if message.get("response") is None:
            texts.append(str(message.get("text")))
            continue
        template = str(domain["responses"][message["response"]][0].get("text") or "")
        values = {**message, **(message.get("kwargs") or {})}
        texts.append(PLACEHOLDER.sub(lambda found, v=values: str(v.get(found.group(1), found.group(0))), template))
    return texts


def selector(key: str) -> dict[str, Any]:
    return {"response_selector": {"faq": {"response": {"intent_response_key": key, "confidence": 0.9}}}}


# -- the two-stage fallback --------------------------------------------------------------------------------


async def test_ask_affirmation_checks_the_best_guess_in_plain_words_with_yes_and_no_buttons(dispatcher, domain):
    tracker = make_tracker(
        text="the thingy with the boiler",
        intent="nlu_fallback",
        extra_message={
            "intent_ranking": [
                {"name": "nlu_fallback", "confidence": 0.45},
                {"name": "report_repair", "confidence": 0.4},
                {"name": "repair_status", "confidence": 0.3},
            ]
        },
    )
    events = await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert events == []
    assert responses(dispatcher) == ["utter_ask_affirmation"]
    message = dispatcher.messages[0]
    assert rendered(dispatcher, domain) == ["Sorry, just to check: do you want to report a repair?"]
    assert [b["payload"] for b in message["buttons"]] == ["/report_repair", "/out_of_scope"]


async def test_ask_affirmation_no_button_keeps_the_two_stage_fallback_going(dispatcher, domain):
    """Rasa's action_two_stage_fallback treats any intent but nlu_fallback/out_of_scope as a clarification, so a
    "No" sent as /deny would end the fallback and be handled as a plain "no"."""
    tracker = make_tracker(
        text="erm",
        intent="nlu_fallback",
        extra_message={"intent_ranking": [{"name": "ask_rent_balance", "confidence": 0.3}]},
    )
    await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    no_button = dispatcher.messages[0]["buttons"][-1]
    assert no_button == {"title": "No", "payload": "/out_of_scope"}


@pytest.mark.parametrize(
    "ranking",
    [
        [],
        [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "out_of_scope", "confidence": 0.3}],
        [{"name": "affirm", "confidence": 0.4}, {"name": "deny", "confidence": 0.3}],
        [{"name": "an_intent_nobody_described", "confidence": 0.4}],
    ],
    ids=["no-ranking", "only-fallback", "only-yes-no", "undescribed"],
)
async def test_ask_affirmation_asks_to_rephrase_when_there_is_nothing_sensible_to_confirm(ranking, dispatcher, domain):
    tracker = make_tracker(text="\U0001f937", intent="nlu_fallback", extra_message={"intent_ranking": ranking})
    await ActionDefaultAskAffirmation().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_ask_rephrase"]


def test_every_intent_the_fallback_may_confirm_has_a_plain_words_description(domain):
    undescribed = [
        intent
        for intent in domain["intents"]
        if (intent if isinstance(intent, str) else next(iter(intent))) not in NEVER_CONFIRMED
        and intent_description(domain, intent if isinstance(intent, str) else next(iter(intent))) is None
    ]
    assert undescribed == []


async def test_default_fallback_offers_a_person_and_remembers_the_offer(dispatcher, domain):
    events = await ActionDefaultFallback().run(dispatcher, make_tracker(text="???", intent="nlu_fallback"), domain)
    assert responses(dispatcher) == ["utter_offer_person"]
    assert slot_sets(events) == {"offer": "person"}


# -- declining an offer and stopping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer", "response"), [("complaint", "utter_complaint_not_logged"), ("person", "utter_no_problem")]
)
async def test_decline_offer_says_what_was_not_done_and_forgets_the_offer(offer, response, dispatcher, domain):
    tracker = make_tracker(text="no thanks", intent="deny", slots={"offer": offer})
    events = await ActionDeclineOffer().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == [response]
    assert slot_sets(events) == {"offer": None}


async def test_stop_inside_a_form_closes_it_clears_its_answers_and_says_nothing_was_logged(dispatcher, domain):
    tracker = make_tracker(
        text="forget it",
        intent="deny",
        slots={"repair_item": "tap", "repair_location": "kitchen", "requested_slot": "repair_description"},
        active_loop="repair_form",
    )
    events = await ActionStop().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_form_stopped"]
    assert any(e.get("event") == "active_loop" and e.get("name") is None for e in events)
    slots = slot_sets(events)
    assert slots["requested_slot"] is None and slots["offer"] is None
    assert {slot: slots[slot] for slot in domain["forms"]["repair_form"]["required_slots"]} == dict.fromkeys(
        domain["forms"]["repair_form"]["required_slots"]
    )


async def test_stop_with_no_form_closes_politely_without_touching_any_form(dispatcher, domain):
    events = await ActionStop().run(dispatcher, make_tracker(text="no", intent="deny"), domain)
    assert responses(dispatcher) == ["utter_nothing_else"]
    assert events == [{"event": "slot", "timestamp": None, "name": "offer", "value": None}]


# -- contact details ------------------------------------------------------------------------------------------


async def test_contact_info_gives_the_landlords_numbers_hours_email_and_address(dispatcher, domain):
    await ActionContactInfo().run(
        dispatcher, make_tracker(text="what's your phone number", intent="ask_contact_info"), domain
    )
    assert responses(dispatcher) == ["utter_contact_info"]
    text = rendered(dispatcher, domain)[0]
    assert "{" not in text
    for fact in ("Riverside Vale Homes", "0113 496 0418", "0113 496 0999", "hello@riversidevale.example", "LS2 7QX"):
        assert fact in text
    assert "Wed 10:00 to 17:00" in text and "Sat closed" in text


# -- frequently asked questions --------------------------------------------------------------------------------


@pytest.mark.parametrize("topic", FAQ_TOPICS)
async def test_faq_answer_is_the_landlords_own_wording_on_one_line(topic, dispatcher, domain):
    tracker = make_tracker(text="question", intent="faq", extra_message=selector(f"faq/{topic}"))
    await ActionAnswerFaq().run(dispatcher, tracker, domain)
    assert [m.get("text") for m in dispatcher.messages] == [" ".join(get_landlord().faq[topic].split())]
    assert "\n" not in dispatcher.messages[0]["text"]


def test_every_faq_response_in_the_domain_has_an_answer_in_landlord_yml(domain):
    topics = {name.split("/", 1)[1] for name in domain["responses"] if name.startswith("utter_faq/")}
    assert topics and topics <= set(get_landlord().faq)


@pytest.mark.parametrize(
    "extra",
    [
        {},
        selector("faq/moon_landings"),
        selector("chitchat/weather"),
        {"response_selector": {"faq": {"response": {}}}},
    ],
    ids=["no-selector", "unknown-topic", "other-retrieval-intent", "no-response-chosen"],
)
async def test_faq_without_a_known_topic_points_to_the_phone_line(extra, dispatcher, domain):
    tracker = make_tracker(text="can I keep a llama", intent="faq", extra_message=extra)
    await ActionAnswerFaq().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_faq_unknown"]
    assert dispatcher.messages[0]["landlord_phone"] == "0113 496 0418"


def test_faq_topic_reads_the_sub_intent_from_the_response_selector():
    assert faq_topic(make_tracker(text="x", extra_message=selector("faq/bins"))) == "bins"
    assert faq_topic(make_tracker(text="x")) is None
