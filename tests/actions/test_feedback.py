"""Feedback: compliments, suggestions and comments, against the seeded demo housing database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.feedback import ActionLogFeedback, feedback_kind, is_only_asking_to_give_feedback
from bot.housing import feedback, tenancies
from bot.housing.db import session_scope
from bot.housing.enums import FeedbackKind
from tests.support.actions import known_sms_slots, make_tracker, responses

STRANGER = "+447700900999"


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def sent(dispatcher: CollectingDispatcher, response: str) -> dict[str, Any]:
    return next(message for message in dispatcher.messages if message.get("response") == response)


def stranger_slots() -> dict[str, Any]:
    return {"channel": "sms", "sender_address": STRANGER, "identified": False, "verified": False}


async def give(dispatcher: CollectingDispatcher, domain: dict[str, Any], text: str, slots: dict[str, Any]) -> list:
    tracker = make_tracker(text=text, intent="give_feedback", slots=slots)
    return await ActionLogFeedback().run(dispatcher, tracker, domain)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("The plumber was brilliant, thank you", FeedbackKind.COMPLIMENT),
        ("You should open the office on Saturdays", FeedbackKind.SUGGESTION),
        ("Great service, but it would be nice to book repairs online", FeedbackKind.SUGGESTION),
        ("The website is slow on my phone", FeedbackKind.COMMENT),
        ("thanks for nothing, useless", FeedbackKind.COMMENT),
    ],
)
def test_feedback_kind_is_decided_from_the_words(text: str, kind: FeedbackKind) -> None:
    assert feedback_kind(text) is kind


@pytest.mark.parametrize("text", ["I'd like to leave some feedback", "give feedback", "/give_feedback", "", "   "])
def test_is_only_asking_to_give_feedback_spots_a_request_without_content(text: str) -> None:
    assert is_only_asking_to_give_feedback(text) is True


def test_is_only_asking_to_give_feedback_lets_real_feedback_through() -> None:
    assert is_only_asking_to_give_feedback("I want to give feedback: the repair man was great") is False


async def test_log_feedback_records_a_compliment_against_the_known_tenancy(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    text = "The plumber was brilliant, thank you"
    events = await give(dispatcher, domain, text, known_sms_slots(demo_tenant.phone))

    assert responses(dispatcher) == ["utter_feedback_thanks"]
    reference = sent(dispatcher, "utter_feedback_thanks")["reference"]
    assert reference.startswith("FBK-")
    assert events == []
    with session_scope(housing) as session:
        record = feedback.get_or_raise(session=session, reference=reference)
        tenancy = tenancies.get_or_raise(session=session, reference=demo_tenant.tenancy_reference)
        assert record.kind is FeedbackKind.COMPLIMENT
        assert record.text == text
        assert record.tenancy_id == tenancy.id


async def test_log_feedback_records_a_strangers_suggestion_without_a_tenancy(
    housing: Callable[[], Session], domain, dispatcher
):
    await give(dispatcher, domain, "You should let us pay rent by text", stranger_slots())
    reference = sent(dispatcher, "utter_feedback_thanks")["reference"]
    with session_scope(housing) as session:
        record = feedback.get_or_raise(session=session, reference=reference)
        assert record.kind is FeedbackKind.SUGGESTION
        assert record.tenancy_id is None


async def test_log_feedback_offers_a_complaint_instead_of_just_thanking_an_unhappy_tenant(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    """Complaint Handling Code 1.3: feedback that expresses dissatisfaction earns the offer of a complaint."""
    text = "Third time I've waited in all day and nobody came. Useless."
    events = await give(dispatcher, domain, text, known_sms_slots(demo_tenant.phone))

    assert responses(dispatcher) == ["utter_feedback_noted", "utter_offer_complaint"]
    assert slot_sets(events) == {"offer": "complaint"}
    reference = sent(dispatcher, "utter_feedback_noted")["reference"]
    with session_scope(housing) as session:
        record = feedback.get_or_raise(session=session, reference=reference)
        assert record.kind is FeedbackKind.COMMENT
        assert record.text == text


@pytest.mark.parametrize("text", ["I'd like to give some feedback", "", "/give_feedback"])
async def test_log_feedback_asks_for_the_feedback_when_the_message_has_none(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant, text
):
    with session_scope(housing) as session:
        before = len(feedback.list(session=session, limit=1000))
    events = await give(dispatcher, domain, text, known_sms_slots(demo_tenant.phone))
    assert responses(dispatcher) == ["utter_feedback_ask"]
    assert events == []
    with session_scope(housing) as session:
        assert len(feedback.list(session=session, limit=1000)) == before


async def test_log_feedback_keeps_the_first_4000_characters_of_a_very_long_message(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    text = "The new kitchen is lovely. " * 200
    await give(dispatcher, domain, text, known_sms_slots(demo_tenant.phone))
    reference = sent(dispatcher, "utter_feedback_thanks")["reference"]
    with session_scope(housing) as session:
        record = feedback.get_or_raise(session=session, reference=reference)
        assert record.text == text[:4000].strip()


async def test_log_feedback_records_emoji_only_feedback_as_a_comment(
    housing: Callable[[], Session], domain, dispatcher, demo_tenant
):
    await give(dispatcher, domain, "\U0001f44d\U0001f44d", known_sms_slots(demo_tenant.phone))
    reference = sent(dispatcher, "utter_feedback_thanks")["reference"]
    with session_scope(housing) as session:
        assert feedback.get_or_raise(session=session, reference=reference).kind is FeedbackKind.COMMENT
