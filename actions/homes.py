"""Homes to rent: searching the homes advertised now by number of bedrooms and area.

Listings are public, so anyone may search without an identity check. The areas offered are the ones that have a
home available today, read from the database each time, so the assistant never suggests an area with nothing in it.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.common import phrasebook, session_factory
from actions.dissatisfaction import dissatisfied_since
from actions.formatting import day_in_words, money
from actions.forms import TenantFormValidation
from bot.housing import homes
from bot.housing.db import session_scope
from bot.housing.enums import HomeStatus, PropertyType
from bot.housing.errors import HousingError
from bot.housing.models import AvailableHome
from bot.landlord import get_landlord

logger = logging.getLogger(__name__)

PHRASES = "utter_homes_phrases"
HOMES_INTENTS = ("ask_available_homes",)
HOMES_SLOTS = ("homes_bedrooms", "homes_area")
ANY = "any"
MIN_BEDROOMS = 1
MAX_BEDROOMS = 6
LISTED = 5
ALL_HOMES = 1000
FUZZY_MIN_CHARS = 5  # one typo in a shorter name would match too many ordinary words

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_NUMBER = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
_ANY = re.compile(
    r"\b(?:any|anything|anywhere|any\s*where|all|either|whatever|don'?t\s+mind|do\s+not\s+mind|doesn'?t\s+matter"
    r"|not\s+bothered|no\s+preference|not\s+fussy|wherever|everywhere)\b"
)
_AT_LEAST = re.compile(
    rf"\b{_NUMBER}\s*(?:\+|plus\b|or\s+more\b|or\s+bigger\b)|\b(?:at\s+least|minimum(?:\s+of)?|min)\s+{_NUMBER}\b"
)
_COUNT = re.compile(rf"\b{_NUMBER}\b")
_COUNT_OF_BEDROOMS = re.compile(rf"\b{_NUMBER}\s*-?\s*(?:bed|bedroom|bedroomed|br)s?\b")


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def read_bedrooms(text: str) -> str | None:
    """Read how many bedrooms the tenant wants: "2", "3+" (three or more) or "any".

    Understands "two", "2 bed", "a 3 bedroom house", "at least 2", "3 or more", "any".

    Returns:
        The canonical answer, or None when the text holds no bedroom count from 1 to 6.
    """
    lowered = " ".join(str(text or "").lower().replace("\u2019", "'").split())
    at_least = _AT_LEAST.search(lowered)
    if at_least is not None:
        count = _number(next(group for group in at_least.groups() if group))
        return f"{count}+" if MIN_BEDROOMS <= count <= MAX_BEDROOMS else None
    # "a 3 bed for me and my 2 kids": a number followed by "bed" wins over any other number.
    found = _COUNT_OF_BEDROOMS.search(lowered) or _COUNT.search(lowered)
    if found is not None:
        count = _number(found.group(1))
        return str(count) if MIN_BEDROOMS <= count <= MAX_BEDROOMS else None
    if _ANY.search(lowered):
        return ANY
    return None


def within_one_edit(first: str, second: str) -> bool:
    """Return True when the two words differ by at most one inserted, deleted or changed letter."""
    if first == second:
        return True
    if abs(len(first) - len(second)) > 1:
        return False
    if len(first) > len(second):
        first, second = second, first
    for index, (a, b) in enumerate(zip(first, second, strict=False)):  # `second` may be one longer
        if a != b:
            if len(first) == len(second):
                return first[index + 1 :] == second[index + 1 :]
            return first[index:] == second[index + 1 :]
    return True  # the longer word has one extra letter at the end


def match_area(text: str, areas: list[str]) -> str | None:
    """Return the area the tenant named (any case, one typo allowed), "any", or None.

    Args:
        text: What the tenant wrote ("harehils please", "Armley", "anywhere").
        areas: The areas with homes available.
    """
    words = re.findall(r"[a-z]+", str(text or "").lower().replace("\u2019", "'"))
    joined = " ".join(words)
    named: list[tuple[int, str]] = []
    for area in areas:
        phrase_of_area = " ".join(re.findall(r"[a-z]+", area.lower()))
        found = re.search(rf"\b{re.escape(phrase_of_area)}\b", joined) if phrase_of_area else None
        if found is not None:
            named.append((found.start(), area))
    if named:
        return min(named)[1]  # the first area the tenant wrote
    for area in areas:
        area_words = re.findall(r"[a-z]+", area.lower())
        wanted = "".join(area_words)
        if len(wanted) < FUZZY_MIN_CHARS:
            continue
        for start in range(len(words) - len(area_words) + 1):
            candidate = "".join(words[start : start + len(area_words)])
            # Typos rarely hit the first letter, and insisting on it keeps "needs" from matching "Leeds".
            if candidate[:1] == wanted[:1] and within_one_edit(candidate, wanted):
                return area
    if _ANY.search(joined):
        return ANY
    return None


def available_areas(session: Session, bedrooms: str | None = None) -> list[str]:
    """Return the areas with homes available now, in alphabetical order.

    Args:
        session: An open housing session.
        bedrooms: Only areas with homes of this size ("2", "3+"); all areas for None or "any".
    """
    exact, at_least = bedroom_filter(bedrooms)
    if exact is None and at_least is None:
        found = homes.list(session=session, status=HomeStatus.AVAILABLE, limit=ALL_HOMES)
    else:
        found = homes.search(session=session, bedrooms=exact, min_bedrooms=at_least, limit=ALL_HOMES)
    return sorted({home.area for home in found}, key=str.lower)


def bedroom_filter(bedrooms: str | None) -> tuple[int | None, int | None]:
    """Return (exact, at least) bedroom counts for a homes_bedrooms slot value."""
    if not bedrooms or bedrooms == ANY:
        return None, None
    if bedrooms.endswith("+"):
        return None, int(bedrooms[:-1])
    return int(bedrooms), None


def phrase(domain: DomainDict, key: str, **values: Any) -> str:
    """Return phrase `key` of this topic's phrasebook in the domain, with `values` filled in."""
    return phrasebook(domain, PHRASES, key, **values)


def listing_line(domain: DomainDict, home: AvailableHome) -> str:
    """Return one home as a line: area, bedrooms, type, weekly rent and the day it is available from."""
    kind = PropertyType(home.property_type)
    key = "listing_line_bedsit" if kind is PropertyType.BEDSIT or home.bedrooms == 0 else "listing_line"
    return phrase(
        domain,
        key,
        area=home.area,
        bedrooms=home.bedrooms,
        property_type=kind.value,
        weekly_rent=money(home.weekly_rent),
        available_from=day_in_words(home.available_from),
    )


class ValidateHomesForm(TenantFormValidation):
    """Ask how many bedrooms and which area; no identity check, as listings are public."""

    form = "homes_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Return no questions when no home is available at all (the search then says so), else both."""
        try:
            with session_scope(session_factory()) as session:
                if not available_areas(session):
                    return []
        except (HousingError, SQLAlchemyError):
            logger.exception("could not read the available homes")
        return list(domain_slots)

    async def validate_homes_bedrooms(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept a number of bedrooms from 1 to 6, "3+" or "any"."""
        bedrooms = read_bedrooms(str(value or ""))
        if bedrooms is None:
            dispatcher.utter_message(response="utter_homes_bedrooms_invalid")
        return {"homes_bedrooms": bedrooms}

    async def validate_homes_area(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept an area that has homes available now (one typo allowed), or "any"."""
        try:
            with session_scope(session_factory()) as session:
                areas = available_areas(session)
        except (HousingError, SQLAlchemyError):
            logger.exception("could not read the available areas")
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=get_landlord().phone)
            return {"homes_area": None}
        area = match_area(str(value or ""), areas)
        if area is None:
            dispatcher.utter_message(response="utter_homes_area_unknown", areas=", ".join(areas))
        return {"homes_area": area}


class ActionAskHomesArea(Action):
    """Ask for the area, listing the areas with homes available (of the size asked for, when there are some)."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_ask_homes_area"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send utter_ask_homes_area with the areas from the database."""
        try:
            with session_scope(session_factory()) as session:
                areas = available_areas(session, tracker.get_slot("homes_bedrooms")) or available_areas(session)
        except (HousingError, SQLAlchemyError):
            logger.exception("could not read the available areas")
            areas = []
        if not areas:
            # Nothing to choose from: "any" is still a good answer, and the search will say what there is.
            dispatcher.utter_message(response="utter_homes_none")
            return []
        dispatcher.utter_message(response="utter_ask_homes_area", areas=", ".join(areas))
        return []


class ActionSearchHomes(Action):
    """List up to five homes matching the answers, then say how to apply."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_search_homes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Search the available homes and list them, or say there are none like that."""
        landlord = get_landlord()
        clear: list[EventType] = [SlotSet(slot, None) for slot in HOMES_SLOTS]
        exact, at_least = bedroom_filter(tracker.get_slot("homes_bedrooms"))
        area = tracker.get_slot("homes_area")
        try:
            with session_scope(session_factory()) as session:
                found = homes.search(
                    session=session,
                    bedrooms=exact,
                    min_bedrooms=at_least,
                    area=None if not area or area == ANY else str(area),
                    limit=LISTED,
                )
                lines = [listing_line(domain, home) for home in found]
        except (HousingError, SQLAlchemyError):
            logger.exception("could not search the available homes")
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=landlord.phone)
            return []  # keep the answers so the tenant can try again
        if lines:
            dispatcher.utter_message(response="utter_homes_found", listing="\n".join(lines))
        else:
            dispatcher.utter_message(response="utter_homes_none")
        dispatcher.utter_message(response="utter_homes_how_to_apply", landlord_phone=landlord.phone)
        if dissatisfied_since(tracker, HOMES_INTENTS):
            dispatcher.utter_message(response="utter_offer_complaint")
            return [*clear, SlotSet("offer", "complaint")]
        return clear
