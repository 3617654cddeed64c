"""Home search actions against the seeded demo housing database (listings are public: no identity check)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.homes import (
    ActionAskHomesArea,
    ActionSearchHomes,
    ValidateHomesForm,
    match_area,
    read_bedrooms,
    within_one_edit,
)
from bot.housing import homes
from bot.housing.db import session_scope
from bot.housing.enums import HomeStatus
from bot.housing.errors import HousingError
from bot.landlord import get_landlord
from tests.support.actions import make_tracker, responses

AREAS = ["Armley", "Beeston", "Chapel Allerton", "Harehills", "Seacroft"]
PUBLIC = {"channel": "sms", "sender_address": "+447700900999", "identified": False, "verified": False}


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def message(dispatcher: CollectingDispatcher, name: str) -> dict[str, Any]:
    found = [sent for sent in dispatcher.messages if sent.get("response") == name]
    assert found, f"{name} was not sent; sent {responses(dispatcher)}"
    return found[0]


def text_of(dispatcher: CollectingDispatcher, domain: dict[str, Any], name: str) -> str:
    """Return what the tenant reads: the response filled with the values the action sent (all must be given)."""
    values = {key: value for key, value in message(dispatcher, name).items() if value is not None}
    return str(domain["responses"][name][0]["text"]).format(**values)


def available(housing: Any) -> list[Any]:
    with session_scope(housing) as session:
        return [
            (home.area, home.bedrooms, home.property_type.value, home.weekly_rent, home.available_from)
            for home in homes.list(session=session)
        ]


def advertise(housing: Any, area: str, bedrooms: int, rent: str, days: int, kind: str = "house") -> None:
    with session_scope(housing) as session:
        homes.create(
            session=session,
            area=area,
            bedrooms=bedrooms,
            property_type=kind,
            weekly_rent=rent,
            available_from=date.today() + timedelta(days=days),
            summary=f"{bedrooms}-bedroom {kind} in {area}",
        )


def withdraw_all(housing: Any) -> None:
    with session_scope(housing) as session:
        for home in homes.list(session=session):
            homes.update(session=session, home_id=home.id, status=HomeStatus.LET)


def in_words(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


# --- reading the answers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", "2"),
        ("two", "2"),
        ("2 bed", "2"),
        ("a 3 bedroom house", "3"),
        ("Three-bed please", "3"),
        ("me and my 2 kids need a 3 bed", "3"),
        ("at least 2", "2+"),
        ("3 or more", "3+"),
        ("4+", "4+"),
        ("any", "any"),
        ("I don't mind", "any"),
        ("7", None),
        ("0", None),
        ("07700 900123", None),
        ("", None),
        ("🏠🏠", None),
        ("lots " * 1000, None),
    ],
)
def test_read_bedrooms_takes_numbers_words_and_any(text, expected):
    assert read_bedrooms(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Armley", "Armley"),
        ("HAREHILLS please", "Harehills"),
        ("harehils", "Harehills"),  # one letter missing
        ("seacroftt", "Seacroft"),  # one letter extra
        ("beestin", "Beeston"),  # one letter changed
        ("chapel alerton", "Chapel Allerton"),
        ("Beeston or Armley", "Beeston"),  # the first one named
        ("anywhere", "any"),
        ("bstn", None),
        ("London", None),
        ("needs", None),
        ("", None),
        ("🌳", None),
        ("z" * 5000, None),
    ],
)
def test_match_area_is_loose_about_case_and_one_typo(text, expected):
    assert match_area(text, AREAS) == expected


def test_within_one_edit_counts_one_change_only():
    assert within_one_edit("armley", "armly")
    assert within_one_edit("armley", "armleyy")
    assert within_one_edit("armley", "ormley")
    assert not within_one_edit("armley", "amly")
    assert not within_one_edit("armley", "yelmra")


# --- homes_form -------------------------------------------------------------------------------------------


def form_tracker(text: str, requested: str, **slots: Any) -> Any:
    return make_tracker(text=text, slots={**PUBLIC, "requested_slot": requested, **slots}, active_loop="homes_form")


async def test_homes_form_asks_no_identity_questions(housing, domain, dispatcher):
    tracker = make_tracker(text="any houses to rent?", intent="ask_available_homes", slots=PUBLIC)
    events = slot_sets(await ValidateHomesForm().run(dispatcher, tracker, domain))
    assert events.get("requested_slot") in (None, "homes_bedrooms")
    assert dispatcher.messages == []


async def test_homes_form_takes_a_number_of_bedrooms_in_words(housing, domain, dispatcher):
    events = slot_sets(await ValidateHomesForm().run(dispatcher, form_tracker("two", "homes_bedrooms"), domain))
    assert events["homes_bedrooms"] == "2"


@pytest.mark.parametrize("text", ["10", "a mansion", "😀", "x" * 5000])
async def test_homes_form_explains_an_impossible_number_of_bedrooms(housing, domain, dispatcher, text):
    events = slot_sets(await ValidateHomesForm().run(dispatcher, form_tracker(text, "homes_bedrooms"), domain))
    assert events["homes_bedrooms"] is None
    assert responses(dispatcher) == ["utter_homes_bedrooms_invalid"]


async def test_homes_form_takes_an_area_with_homes_despite_a_typo(housing, domain, dispatcher):
    area = available(housing)[0][0]
    typo = area.lower()[:-1]  # last letter missing
    tracker = form_tracker(typo, "homes_area", homes_bedrooms="any")
    events = slot_sets(await ValidateHomesForm().run(dispatcher, tracker, domain))
    assert events["homes_area"] == area


async def test_homes_form_refuses_an_area_without_homes_and_lists_the_ones_with_homes(housing, domain, dispatcher):
    tracker = form_tracker("Timbuktu", "homes_area", homes_bedrooms="any")
    events = slot_sets(await ValidateHomesForm().run(dispatcher, tracker, domain))
    assert events["homes_area"] is None
    assert responses(dispatcher) == ["utter_homes_area_unknown"]
    listed = message(dispatcher, "utter_homes_area_unknown")["areas"]
    assert listed == ", ".join(sorted({area for area, *_ in available(housing)}))


async def test_homes_form_asks_nothing_when_no_home_is_available(housing, domain, dispatcher):
    withdraw_all(housing)
    tracker = make_tracker(text="any houses?", intent="ask_available_homes", slots=PUBLIC)
    events = slot_sets(await ValidateHomesForm().run(dispatcher, tracker, domain))
    assert events == {"requested_slot": None}


async def test_ask_homes_area_lists_the_areas_with_homes_of_the_size_wanted(housing, domain, dispatcher):
    advertise(housing, "Beeston", 5, "150.00", 10)
    tracker = make_tracker(slots={**PUBLIC, "homes_bedrooms": "5"})
    await ActionAskHomesArea().run(dispatcher, tracker, domain)
    assert "We have homes in Beeston." in text_of(dispatcher, domain, "utter_ask_homes_area")


async def test_ask_homes_area_lists_every_area_for_any_size(housing, domain, dispatcher):
    advertise(housing, "Beeston", 5, "150.00", 10)
    tracker = make_tracker(slots={**PUBLIC, "homes_bedrooms": "any"})
    await ActionAskHomesArea().run(dispatcher, tracker, domain)
    expected = ", ".join(sorted({area for area, *_ in available(housing)}))
    assert message(dispatcher, "utter_ask_homes_area")["areas"] == expected


# --- action_search_homes ----------------------------------------------------------------------------------


async def test_search_homes_lists_area_bedrooms_type_rent_and_date_then_how_to_apply(housing, domain, dispatcher):
    advertise(housing, "Beeston", 2, "1234.5", 3, kind="bungalow")
    tracker = make_tracker(slots={**PUBLIC, "homes_bedrooms": "2", "homes_area": "Beeston"})

    events = await ActionSearchHomes().run(dispatcher, tracker, domain)

    assert slot_sets(events) == {"homes_bedrooms": None, "homes_area": None}
    assert responses(dispatcher) == ["utter_homes_found", "utter_homes_how_to_apply"]
    listing = text_of(dispatcher, domain, "utter_homes_found")
    day = date.today() + timedelta(days=3)
    assert f"Beeston: 2-bedroom bungalow, £1,234.50 a week, from {in_words(day)}" in listing
    assert get_landlord().phone in text_of(dispatcher, domain, "utter_homes_how_to_apply")


async def test_search_homes_lists_at_most_five_soonest_first(housing, domain, dispatcher):
    for days in range(1, 5):
        advertise(housing, "Seacroft", 2, "99.00", days)
    assert len(available(housing)) > 5
    tracker = make_tracker(slots={**PUBLIC, "homes_bedrooms": "any", "homes_area": "any"})
    await ActionSearchHomes().run(dispatcher, tracker, domain)
    lines = message(dispatcher, "utter_homes_found")["listing"].split("\n")
    assert len(lines) == 5
    soonest = sorted(available(housing), key=lambda home: home[4])[:5]
    assert [line.split(":")[0] for line in lines] == [home[0] for home in soonest]


async def test_search_homes_at_least_a_number_of_bedrooms(housing, domain, dispatcher):
    advertise(housing, "Seacroft", 5, "140.00", 2)
    tracker = make_tracker(slots={**PUBLIC, "homes_bedrooms": "4+", "homes_area": "any"})
    await ActionSearchHomes().run(dispatcher, tracker, domain)
    lines = message(dispatcher, "utter_homes_found")["listing"].split("\n")
    expected = [home for home in available(housing) if home[1] >= 4]
    assert len(lines) == len(expected)
    assert all("4-bedroom" in line or "5-bedroom" in line for line in lines)


async def test_search_homes_says_when_nothing_matches_and_still_says_how_to_apply(housing, domain, dispatcher):
    tracker = make_tracker(slots={**PUBLIC, "homes_bedrooms": "6", "homes_area": "any"})
    await ActionSearchHomes().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_homes_none", "utter_homes_how_to_apply"]


async def test_search_homes_shows_a_bedsit_without_a_bedroom_count(housing, domain, dispatcher):
    advertise(housing, "Beeston", 0, "72.00", 5, kind="bedsit")
    tracker = make_tracker(slots={**PUBLIC, "homes_bedrooms": "any", "homes_area": "Beeston"})
    await ActionSearchHomes().run(dispatcher, tracker, domain)
    assert text_of(dispatcher, domain, "utter_homes_found").endswith(
        f"Beeston: bedsit, £72.00 a week, from {in_words(date.today() + timedelta(days=5))}"
    )


async def test_search_homes_database_failure_says_try_later_and_keeps_the_answers(
    housing, domain, dispatcher, monkeypatch
):
    def broken(**_: Any) -> None:
        raise HousingError("database unavailable")

    monkeypatch.setattr(homes, "search", broken)
    tracker = make_tracker(slots={**PUBLIC, "homes_bedrooms": "2", "homes_area": "any"})
    events = await ActionSearchHomes().run(dispatcher, tracker, domain)
    assert events == []
    assert responses(dispatcher) == ["utter_error_try_later"]


async def test_search_homes_offers_a_complaint_when_the_tenant_is_unhappy_code_1_3(housing, domain, dispatcher):
    """Complaint Handling Code 1.3: "been waiting for years" while searching gets the offer of a complaint."""
    tracker = make_tracker(
        text="any",
        slots={**PUBLIC, "homes_bedrooms": "any", "homes_area": "any"},
        events=[
            {
                "event": "user",
                "text": "any homes? I've been waiting for years on your list, it's ridiculous",
                "parse_data": {"intent": {"name": "ask_available_homes"}},
            },
            {"event": "active_loop", "name": "homes_form"},
        ],
    )
    events = await ActionSearchHomes().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[-1] == "utter_offer_complaint"
    assert slot_sets(events)["offer"] == "complaint"


async def test_search_homes_weekly_rent_uses_pounds_and_pence(housing, domain, dispatcher):
    advertise(housing, "Beeston", 3, str(Decimal("97.5")), 4)
    tracker = make_tracker(slots={**PUBLIC, "homes_bedrooms": "3", "homes_area": "beeston"})
    await ActionSearchHomes().run(dispatcher, tracker, domain)
    assert "£97.50 a week" in message(dispatcher, "utter_homes_found")["listing"]


async def test_ask_homes_area_says_none_are_available_rather_than_listing_nothing(housing, domain, dispatcher):
    withdraw_all(housing)
    await ActionAskHomesArea().run(dispatcher, make_tracker(slots=PUBLIC), domain)
    assert responses(dispatcher) == ["utter_homes_none"]
