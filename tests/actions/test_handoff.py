"""Handing a conversation to staff: the opening-hours arithmetic, and the action against the demo database."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, time, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

import actions.handoff as handoff_module
from actions.common import use_session_factory
from actions.handoff import (
    WAIT_MINUTES,
    ActionHandoff,
    is_open,
    next_opening,
    parse_opening_hours,
    recent_messages,
    reopens_in_words,
)
from bot.housing import handoffs
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import HandoffReason, Urgency
from bot.landlord import get_landlord
from tests.support.actions import known_sms_slots, make_tracker, responses

LONDON = ZoneInfo("Europe/London")
HANDOFF_REFERENCE = re.compile(r"^HND-\d{6}[A-Z]$")
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


# The demo landlord's hours (landlord.yml): Wednesday opens late, Friday closes early, weekends closed.
HOURS = parse_opening_hours(get_landlord().opening_hours)


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def sent(dispatcher: CollectingDispatcher, name: str) -> dict[str, Any]:
    found = [m for m in dispatcher.messages if m.get("response") == name]
    assert found, f"{name} was not sent; sent {responses(dispatcher)}"
    return found[0]


def open_handoff_of(factory: Callable[[], Session], sender_id: str = "test-sender") -> Any:
    with session_scope(factory) as session:
        return handoffs.get_open(session=session, sender_id=sender_id)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Set the instant the handoff action believes it is."""

    def set_time(moment: datetime) -> None:
        monkeypatch.setattr(handoff_module, "current_time", lambda: moment)

    return set_time


@pytest.fixture
def database_down(tmp_path: Path) -> Iterator[None]:
    """Point the actions at a database that cannot be opened (its directory does not exist)."""
    engine = create_engine_for(f"sqlite:///{tmp_path / 'missing' / 'housing.db'}")
    use_session_factory(make_session_factory(engine))
    yield
    use_session_factory(None)
    engine.dispose()


# -- opening hours (pure) ----------------------------------------------------------------------------------


def test_parse_opening_hours_reads_the_landlord_file_and_leaves_weekends_closed() -> None:
    assert HOURS[0] == (time(9), time(17))
    assert HOURS[2] == (time(10), time(17))
    assert HOURS[4] == (time(9), time(16, 30))
    assert 5 not in HOURS and 6 not in HOURS


@pytest.mark.parametrize("written", ["closed", "", "nine till five", "25:00 to 26:00", "17:00 to 09:00", "9-5"])
def test_parse_opening_hours_treats_unreadable_or_impossible_hours_as_closed(written: str) -> None:
    assert 0 not in parse_opening_hours({"monday": written, "tuesday": "09:00 to 17:00"})


def test_parse_opening_hours_accepts_dots_and_dashes() -> None:
    assert parse_opening_hours({"monday": "8.30 - 18.00"})[0] == (time(8, 30), time(18))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (london(2025, 12, 1, 9, 0), True),  # Monday at opening time
        (london(2025, 12, 1, 8, 59), False),
        (london(2025, 12, 1, 16, 59), True),
        (london(2025, 12, 1, 17, 0), False),  # closing time: shut
        (london(2025, 12, 3, 9, 30), False),  # Wednesday opens at 10
        (london(2025, 12, 5, 16, 45), False),  # Friday closes at 16:30
        (london(2025, 12, 6, 12, 0), False),  # Saturday
        (london(2025, 12, 25, 12, 0), False),  # Christmas Day, a Thursday
        (london(2025, 8, 25, 12, 0), False),  # Late Summer Bank Holiday, a Monday
    ],
)
def test_is_open_follows_the_hours_and_closes_on_bank_holidays(moment: datetime, expected: bool) -> None:
    assert is_open(moment, HOURS) is expected


def test_is_open_reads_utc_instants_in_london_time_across_british_summer_time() -> None:
    # 08:30 UTC is 09:30 in July (BST) but 08:30 in December (GMT).
    assert is_open(datetime(2025, 7, 7, 8, 30, tzinfo=timezone.utc), HOURS)
    assert not is_open(datetime(2025, 12, 1, 8, 30, tzinfo=timezone.utc), HOURS)


def test_is_open_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError):
        is_open(datetime(2025, 12, 1, 10, 0), HOURS)


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        (london(2025, 12, 2, 7, 0), "today from 9am"),  # Tuesday early morning
        (london(2025, 12, 2, 18, 0), "tomorrow from 10am"),  # Wednesday opens late
        (london(2025, 12, 5, 17, 0), "on Monday from 9am"),  # Friday evening
        (london(2025, 12, 6, 11, 0), "on Monday from 9am"),  # Saturday
        (london(2025, 12, 24, 18, 0), "on Monday from 9am"),  # Christmas Eve: Christmas and Boxing Day closed
        (london(2026, 4, 2, 18, 0), "on Tuesday from 9am"),  # before Good Friday and Easter Monday
        (london(2025, 8, 22, 17, 0), "on Tuesday from 9am"),  # Friday before the August bank holiday
    ],
)
def test_reopening_is_said_in_words_skipping_weekends_and_bank_holidays(moment: datetime, words: str) -> None:
    opening = next_opening(moment, HOURS)
    assert opening is not None
    assert reopens_in_words(moment, opening) == words


def test_reopening_a_week_or_more_away_gives_the_date_and_the_year_when_it_changes() -> None:
    mondays_only = parse_opening_hours({"monday": "09:00 to 17:00"})
    moment = london(2025, 12, 29, 18, 0)
    opening = next_opening(moment, mondays_only)
    assert opening == london(2026, 1, 5, 9, 0)
    assert reopens_in_words(moment, opening) == "on Monday 5 January 2026 from 9am"


def test_next_opening_is_none_when_the_office_never_opens() -> None:
    assert next_opening(london(2025, 12, 1, 12, 0), parse_opening_hours({"monday": "closed"})) is None


def test_next_opening_during_opening_hours_is_the_next_day_not_now() -> None:
    assert next_opening(london(2025, 12, 1, 12, 0), HOURS) == london(2025, 12, 2, 9, 0)


# -- summary ----------------------------------------------------------------------------------------------


def test_recent_messages_keep_the_last_typed_messages_and_skip_button_payloads() -> None:
    tracker = make_tracker(
        text="/affirm",
        intent="affirm",
        events=[
            {"event": "user", "text": "the thingy by the gate"},
            {"event": "bot", "text": "Sorry, I didn't quite understand."},
            {"event": "user", "text": "  the   gate thing  "},
            {"event": "user", "text": "/affirm"},
        ],
    )
    assert recent_messages(tracker) == ["the thingy by the gate", "the gate thing"]


# -- the action --------------------------------------------------------------------------------------------


async def test_handoff_in_opening_hours_gives_the_reference_and_the_typical_wait(
    housing, domain, dispatcher, demo_tenant, at
):
    at(london(2025, 12, 1, 11, 0))
    tracker = make_tracker(
        text="can somebody from the office ring me back",
        intent="request_human",
        slots=known_sms_slots(demo_tenant.phone),
    )
    events = await ActionHandoff().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_wait_open"]
    assert unfilled(dispatcher, domain) == []
    message = sent(dispatcher, "utter_handoff_wait_open")
    assert HANDOFF_REFERENCE.match(message["reference"])
    assert message["wait_minutes"] == WAIT_MINUTES
    handoff = open_handoff_of(housing)
    assert handoff.reference == message["reference"]
    assert handoff.reason is HandoffReason.REQUEST_HUMAN
    assert handoff.urgency is Urgency.NORMAL
    assert "can somebody from the office ring me back" in handoff.summary
    assert handoff.tenancy_id is None  # not verified: staff are not told whose tenancy this is
    assert slot_sets(events) == {"offer": None}


async def test_handoff_out_of_hours_says_when_the_office_reopens_and_gives_the_out_of_hours_number(
    housing, domain, dispatcher, demo_tenant, at
):
    at(london(2025, 12, 5, 20, 0))  # Friday evening
    tracker = make_tracker(
        text="I want to speak to a person", intent="request_human", slots=known_sms_slots(demo_tenant.phone)
    )
    await ActionHandoff().run(dispatcher, tracker, domain)
    assert unfilled(dispatcher, domain) == []
    message = sent(dispatcher, "utter_handoff_wait_closed")
    assert message["reopens"] == "on Monday from 9am"
    assert message["out_of_hours_phone"] == OUT_OF_HOURS
    assert HANDOFF_REFERENCE.match(message["reference"])


async def test_handoff_after_the_fallback_offer_is_recorded_as_a_fallback_with_the_unclear_messages(
    housing, domain, dispatcher, demo_tenant, at
):
    at(london(2025, 12, 1, 11, 0))
    tracker = make_tracker(
        text="yes",
        intent="affirm",
        slots=known_sms_slots(demo_tenant.phone, offer="person"),
        events=[
            {"event": "user", "text": "the wotsit on the landing is doing the thing again"},
            {"event": "user", "text": "the landing wotsit"},
        ],
    )
    events = await ActionHandoff().run(dispatcher, tracker, domain)
    handoff = open_handoff_of(housing)
    assert handoff.reason is HandoffReason.FALLBACK
    assert "the wotsit on the landing is doing the thing again" in handoff.summary
    assert slot_sets(events)["offer"] is None


async def test_asking_twice_reuses_the_open_handoff(housing, domain, demo_tenant, at):
    at(london(2025, 12, 1, 11, 0))
    references = []
    for text in ("speak to someone please", "hello?? anyone there"):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(text=text, intent="request_human", slots=known_sms_slots(demo_tenant.phone))
        await ActionHandoff().run(dispatcher, tracker, domain)
        references.append(sent(dispatcher, "utter_handoff_wait_open")["reference"])
    assert references[0] == references[1]
    with session_scope(housing) as session:
        waiting = [h for h in handoffs.list(session=session) if h.sender_id == "test-sender"]
    assert len(waiting) == 1
    assert "anyone there" in waiting[0].summary


async def test_handoff_for_a_verified_tenant_tells_staff_the_tenancy(housing, domain, dispatcher, demo_tenant, at):
    at(london(2025, 12, 1, 11, 0))
    tracker = make_tracker(
        text="put me through to someone",
        intent="request_human",
        slots=known_sms_slots(demo_tenant.phone, verified=True),
    )
    await ActionHandoff().run(dispatcher, tracker, domain)
    assert open_handoff_of(housing).tenancy_id is not None


async def test_handoff_for_a_stranger_is_queued_without_a_tenancy(housing, domain, dispatcher, at):
    at(london(2025, 12, 1, 11, 0))
    tracker = make_tracker(
        text="can I talk to a human",
        intent="request_human",
        slots={"channel": "sms", "sender_address": STRANGER, "identified": False, "verified": True},
    )
    await ActionHandoff().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_wait_open"]
    assert open_handoff_of(housing).tenancy_id is None


async def test_handoff_with_the_database_down_says_to_call_and_clears_the_offer(
    database_down, domain, dispatcher, demo_tenant, at
):
    at(london(2025, 12, 1, 11, 0))
    tracker = make_tracker(text="yes", intent="affirm", slots=known_sms_slots(demo_tenant.phone, offer="person"))
    events = await ActionHandoff().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_error_try_later"]
    assert unfilled(dispatcher, domain) == []
    assert sent(dispatcher, "utter_error_try_later")["landlord_phone"] == LANDLORD_PHONE
    assert slot_sets(events) == {"offer": None}


async def test_handoff_on_a_channel_staff_cannot_answer_says_to_call(housing, domain, dispatcher, at):
    at(london(2025, 12, 1, 11, 0))
    tracker = make_tracker(text="human please", intent="request_human")
    await ActionHandoff().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_error_try_later"]


async def test_handoff_with_dissatisfaction_offers_a_complaint(housing, domain, dispatcher, demo_tenant, at):
    """Complaint Handling Code 1.3: dissatisfaction gets the offer of a complaint."""
    at(london(2025, 12, 1, 11, 0))
    tracker = make_tracker(
        text="this bot is useless, I want a real person",
        intent="request_human",
        slots=known_sms_slots(demo_tenant.phone),
    )
    events = await ActionHandoff().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_wait_open", "utter_offer_complaint"]
    assert slot_sets(events) == {"offer": "complaint"}


@pytest.mark.parametrize(
    "text", ["", "\U0001f64f\U0001f64f", "person " * 900], ids=["empty", "emoji-only", "5000-characters"]
)
async def test_handoff_garbage_still_queues_the_conversation(text, housing, domain, dispatcher, demo_tenant, at):
    at(london(2025, 12, 1, 11, 0))
    tracker = make_tracker(text=text, intent="request_human", slots=known_sms_slots(demo_tenant.phone))
    await ActionHandoff().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_wait_open"]
    handoff = open_handoff_of(housing)
    assert handoff is not None and len(handoff.summary) <= 4000


async def test_handoff_when_the_landlord_lists_no_opening_hours_promises_no_reopening_time(
    housing, domain, dispatcher, demo_tenant, at, monkeypatch
):
    never_open = get_landlord().copy(update={"opening_hours": dict.fromkeys(get_landlord().opening_hours, "closed")})
    monkeypatch.setattr(handoff_module, "get_landlord", lambda: never_open)
    at(london(2025, 12, 1, 11, 0))
    tracker = make_tracker(text="a person please", intent="request_human", slots=known_sms_slots(demo_tenant.phone))
    await ActionHandoff().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_handoff_wait_closed_no_hours"]
    assert unfilled(dispatcher, domain) == []
