"""Complaint Handling Code 1.3: noticing dissatisfaction so the tenant is offered a complaint."""

from __future__ import annotations

import pytest

from actions.dissatisfaction import dissatisfied_since, expresses_dissatisfaction, tenant_messages_since
from tests.support.actions import make_tracker


def user_event(text: str, intent: str) -> dict[str, object]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


@pytest.mark.parametrize(
    "text",
    [
        "this is disgusting",
        "I'm fed up with waiting",
        "third time I've reported this",
        "this is the 4th time I've asked",
        "nobody came on Tuesday",
        "No one turned up",
        "they never turned up",
        "your service is useless",
        "I want to complain",
        "I'm still waiting for someone to fix it",
        "been waiting for months",
        "absolutely sick of this",
        "thanks for nothing",
        "I\u2019m not happy about this",  # a phone keyboard's curly apostrophe
        "SHOCKING SERVICE",
        "you've let me down again",
        "I feel let down",
        "I've reported it 5 times",
        "they didn't turn up",
        "I've reported the noise 5 times",
        "nobody has done anything",
        "you've done nothing about it",
    ],
)
def test_expresses_dissatisfaction_recognises_unhappiness_without_the_word_complaint(text: str) -> None:
    """Complaint Handling Code 1.3: the tenant need not say "complaint" to be offered one."""
    assert expresses_dissatisfaction(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "the operative was lovely, thank you",
        "no complaints, great job",
        "I can't complain, it was sorted quickly",
        "you never disappoint",
        "there is mould in the bathroom",
        "you should let us pay rent by text",
        "the heating is not on",
        "it happens 3 times a week",
        "please don't come before 10am",
        "",
        "\U0001f600\U0001f600",
        "the kitchen tap drips " * 250,  # 5,000 characters of a plain report
    ],
)
def test_expresses_dissatisfaction_ignores_praise_plain_reports_and_garbage(text: str) -> None:
    assert expresses_dissatisfaction(text) is False


def test_expresses_dissatisfaction_accepts_none() -> None:
    assert expresses_dissatisfaction(None) is False


def test_tenant_messages_since_goes_back_to_the_message_that_started_the_flow() -> None:
    events = [
        user_event("hello", "greet"),
        user_event("there's mould again, third time now", "report_damp_mould"),
        user_event("bathroom", "inform"),
        user_event("no", "deny"),
    ]
    tracker = make_tracker(text="no", intent="deny", events=events)
    assert tenant_messages_since(tracker, ["report_damp_mould"]) == [
        "there's mould again, third time now",
        "bathroom",
        "no",
    ]


def test_tenant_messages_since_without_the_starting_message_uses_only_the_latest() -> None:
    tracker = make_tracker(
        text="bathroom", events=[user_event("this is useless", "greet"), user_event("bathroom", "x")]
    )
    assert tenant_messages_since(tracker, ["report_damp_mould"]) == ["bathroom"]


def test_tenant_messages_since_with_no_events_uses_the_latest_message() -> None:
    tracker = make_tracker(text="the stairwell", events=[])
    assert tenant_messages_since(tracker, ["report_antisocial_behaviour"]) == ["the stairwell"]


def test_dissatisfied_since_notices_unhappiness_in_the_first_message_of_the_flow() -> None:
    """Complaint Handling Code 1.3: dissatisfaction said at the start of a report still earns the offer."""
    events = [user_event("the mould is back, nobody came last time", "report_damp_mould"), user_event("no", "deny")]
    tracker = make_tracker(text="no", intent="deny", events=events)
    assert dissatisfied_since(tracker, ["report_damp_mould"]) is True


def test_dissatisfied_since_ignores_unhappiness_before_the_flow_started() -> None:
    events = [
        user_event("this is rubbish", "give_feedback"),
        user_event("there is mould in my bedroom", "report_damp_mould"),
        user_event("no", "deny"),
    ]
    tracker = make_tracker(text="no", intent="deny", events=events)
    assert dissatisfied_since(tracker, ["report_damp_mould"]) is False
