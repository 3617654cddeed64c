"""Anti-social behaviour reports: what, when, where, whether it goes on, and whether anyone was threatened.

Threats or hate make a case urgent (bot.housing.asb.urgency_for); the tenant is told to call 999 if in danger
before anything else. Anyone may report: a known sender's report becomes a case on their tenancy; a report from
anyone else (a neighbour who is not our tenant, a new number) goes to staff as a handoff, so no report is lost and
nobody has to prove who they are to tell us.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text, sender_identity, session_factory
from actions.dissatisfaction import dissatisfied_since
from actions.forms import TenantFormValidation, yes_or_no
from actions.identity import tenancy_for_records
from bot.housing import asb, handoffs
from bot.housing.db import session_scope
from bot.housing.enums import AsbCategory, HandoffReason, Urgency
from bot.housing.errors import HousingError, TenancyEnded, TenancyNotFound
from bot.landlord import get_landlord

logger = logging.getLogger(__name__)

FORM_SLOTS = ("asb_description", "asb_when", "asb_where", "asb_ongoing", "asb_threats")
STARTING_INTENTS = ("report_antisocial_behaviour",)
MAX_WHEN_WHERE_CHARS = 200  # the service's limit for "when" and "where"

# How soon a housing officer contacts the tenant, and what the tenant is told the priority is: one place.
RESPONSE_WORKING_DAYS = {Urgency.EMERGENCY: 1, Urgency.HIGH: 1, Urgency.NORMAL: 5}
PRIORITY_WORDS = {Urgency.EMERGENCY: "urgent", Urgency.HIGH: "urgent", Urgency.NORMAL: "normal"}

_HAS_WORDS = re.compile(r"[^\W_]")
# "not sure" starts with "not", which would otherwise read as no: unsure answers are asked again instead.
_UNSURE = re.compile(
    r"\b(?:not\s+(?:sure|certain)|unsure|don'?t\s+know|dunno|maybe|possibly|perhaps|no\s+idea)\b", re.I
)
_NEGATION_BEFORE = re.compile(r"\b(?:no|not|without|never|nobody|didn'?t|hasn'?t|haven'?t)\b\W+(?:\w+\W+)?$", re.I)


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


# Checked in this order: the first kind that matches wins, so the most serious kind named decides.
CATEGORY_PATTERNS: tuple[tuple[AsbCategory, re.Pattern[str]], ...] = (
    (
        AsbCategory.VIOLENCE,
        _pattern(
            r"assault",
            r"attack",
            r"punch",
            r"kick(?:ed|ing)\s+(?:me|him|her|us|my)",
            r"hit\s+(?:me|him|her|us|my)",
            r"beat(?:en|ing)?\s+(?:me|him|her|us|up)",
            r"stab",
            r"knife",
            r"weapon",
            r"violen",
            r"fight",
        ),
    ),
    (
        AsbCategory.THREATS,
        _pattern(r"threat", r"kill\s+(?:me|us|you|him|her)", r"hurt\s+(?:me|us|my)", r"intimidat"),
    ),
    (
        AsbCategory.HATE,
        _pattern(
            r"racis",
            r"racial",
            r"homophob",
            r"transphob",
            r"biphob",
            r"islamophob",
            r"anti-?semit",
            r"disablist",
            r"hate\s+(?:crime|incident|speech|mail)",
            r"hateful",
            r"slur",
            r"because\s+of\s+(?:my|our)\s+(?:race|"
            r"religion|colour|color|skin|faith|disability|sexuality|gender|nationality)",
        ),
    ),
    (
        AsbCategory.HARASSMENT,
        _pattern(
            r"harass",
            r"abus(?:e|ive|ing)",
            r"bully",
            r"stalk",
            r"follow(?:s|ed|ing)\s+me",
            r"verbal",
            r"shout(?:s|ed|ing)?\s+at\s+(?:me|us|my)",
            r"swear(?:s|ing)?\s+at",
            r"spit",
        ),
    ),
    (
        AsbCategory.DRUGS,
        _pattern(
            r"drug",
            r"deal(?:ing|er|ers)\b",
            r"cannabis",
            r"weed\b",
            r"skunk",
            r"crack\b",
            r"heroin",
            r"cocaine",
            r"needle",
            r"syringe",
            r"nitrous",
            r"laughing\s+gas",
        ),
    ),
    (
        AsbCategory.VANDALISM,
        _pattern(
            r"vandal",
            r"graffiti",
            r"smash",
            r"broke(?:n)?\s+(?:my|the|our)\s+(?:window|door|car|fence)",
            r"damag(?:e|ed|ing)\s+(?:my|the|our)",
            r"slash",
            r"keyed",
            r"set\s+fire",
        ),
    ),
    (
        AsbCategory.FLY_TIPPING,
        _pattern(r"fly[\s-]?tip", r"dump(?:ed|ing|s)?", r"mattress", r"sofa\s+left", r"rubbish\s+left"),
    ),
    (
        AsbCategory.DOG_FOULING,
        _pattern(r"dog\s+(?:mess|poo|muck|dirt|fouling|fouled)", r"fouling", r"pooing"),
    ),
    (
        AsbCategory.NOISE,
        _pattern(
            r"nois",
            r"loud",
            r"music",
            r"part(?:y|ies)",
            r"bang(?:ing)?",
            r"shout",
            r"scream",
            r"bass",
            r"stomp",
            r"bark",
            r"drill",
            r"tv\b",
            r"all\s+night",
        ),
    ),
    (
        AsbCategory.NUISANCE,
        _pattern(
            r"nuisance",
            r"smok",
            r"smell",
            r"park(?:ed|ing)",
            r"block(?:ed|ing)\s+(?:the|my|our)",
            r"rubbish",
            r"litter",
            r"youths",
            r"gang",
            r"hanging\s+(?:around|about)",
            r"begging",
            r"urinat",
            r"drunk",
        ),
    ),
)


def asb_category(description: str | None) -> AsbCategory:
    """Decide the kind of anti-social behaviour from the tenant's description.

    Kinds are checked from the most serious down (violence, threats, hate, harassment, drugs, vandalism,
    fly-tipping, dog fouling, noise, nuisance), so "loud music and he threatened me" is threats, not noise.
    A kind named just after "no" or "not" ("no threats, just noise") does not count. Anything unrecognised is
    "other"; staff can recategorise.
    """
    text = str(description or "")
    for category, pattern in CATEGORY_PATTERNS:
        # "no threats, just the music" names threats only to deny them
        if any(not _NEGATION_BEFORE.search(text[: found.start()]) for found in pattern.finditer(text)):
            return category
    return AsbCategory.OTHER


def response_days(urgency: Urgency) -> str:
    """Return how soon a housing officer will contact the tenant, in words ("1 working day", "5 working days")."""
    days = RESPONSE_WORKING_DAYS[urgency]
    return f"{days} working day" if days == 1 else f"{days} working days"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ValidateAsbForm(TenantFormValidation):
    """Ask what happened, when, where, whether it goes on and whether anyone was threatened.

    No identity questions: anyone may report anti-social behaviour, and the log action decides whether the report
    becomes a case on the sender's tenancy or goes to staff.
    """

    form = "asb_form"

    def value_for_asb_ongoing(self, tracker: Tracker) -> bool | str | None:
        """Read yes or no; any other answer is kept as text so the validator can ask again."""
        return self._yes_no("asb_ongoing", tracker)

    def value_for_asb_threats(self, tracker: Tracker) -> bool | str | None:
        """Read yes or no; an answer that names a threat or hate ("he said he'd kill me") counts as yes."""
        answer = self._yes_no("asb_threats", tracker)
        if isinstance(answer, str) and asb_category(answer) in {AsbCategory.THREATS, AsbCategory.HATE}:
            return True
        return answer

    def _yes_no(self, slot: str, tracker: Tracker) -> bool | str | None:
        if tracker.get_slot("requested_slot") != slot:
            return None
        if _UNSURE.search(latest_text(tracker)):
            return " ".join(latest_text(tracker).split())
        answer = yes_or_no(tracker)
        if answer is not None:
            return answer
        return " ".join(latest_text(tracker).split()) or None

    async def validate_asb_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept any description in words."""
        return self._words("asb_description", value, dispatcher)

    async def validate_asb_when(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept when it happens in the tenant's words, up to the length the case record keeps."""
        return self._words("asb_when", value, dispatcher, limit=MAX_WHEN_WHERE_CHARS)

    async def validate_asb_where(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept where it happens in the tenant's words, up to the length the case record keeps."""
        return self._words("asb_where", value, dispatcher, limit=MAX_WHEN_WHERE_CHARS)

    async def validate_asb_ongoing(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept yes or no; ask again for anything else."""
        return self._boolean("asb_ongoing", value, dispatcher)

    async def validate_asb_threats(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept yes or no; ask again for anything else."""
        return self._boolean("asb_threats", value, dispatcher)

    @staticmethod
    def _boolean(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
        if isinstance(value, bool):
            return {slot: value}
        dispatcher.utter_message(response="utter_asb_yes_or_no")
        return {slot: None}

    @staticmethod
    def _words(slot: str, value: Any, dispatcher: CollectingDispatcher, *, limit: int | None = None) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if not _HAS_WORDS.search(text):
            dispatcher.utter_message(response="utter_asb_answer_hint")
            return {slot: None}
        return {slot: text[:limit] if limit else text}


class ActionLogAsb(Action):
    """Open the anti-social behaviour case (or hand an unmatched sender's report to staff) and say what happens."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        """Create the action; tests may pass a fixed clock."""
        self.clock = clock

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_log_asb"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Warn first if anyone was threatened, then log the report and give its reference and priority."""
        answers = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
        clear: list[EventType] = [SlotSet(slot, None) for slot in FORM_SLOTS]
        description = answers["asb_description"]
        if not description:
            return clear  # the form was stopped before the tenant said what happened: nothing to log
        threats = answers["asb_threats"] is True
        if threats:
            dispatcher.utter_message(response="utter_asb_danger")
        category = asb_category(str(description))
        hate = category is AsbCategory.HATE
        urgency = asb.urgency_for(category, involves_threats=threats, hate_related=hate)
        now = self.clock()
        tenancy = tenancy_for_records(tracker)
        try:
            logged = tenancy is not None and self._log(
                dispatcher, tracker, tenancy, answers, category, threats, hate, urgency, now
            )
            if not logged:
                self._hand_to_staff(dispatcher, tracker, answers, category, urgency, now)
        except HousingError:
            logger.exception("could not log an anti-social behaviour report")
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=get_landlord().phone)
            return []  # keep the answers so the tenant can try again
        if dissatisfied_since(tracker, STARTING_INTENTS):
            dispatcher.utter_message(response="utter_offer_complaint")
            clear.append(SlotSet("offer", "complaint"))
        return clear

    @staticmethod
    def _log(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        tenancy: str,
        answers: dict[str, Any],
        category: AsbCategory,
        threats: bool,
        hate: bool,
        urgency: Urgency,
        now: datetime,
    ) -> bool:
        """Create the case on the tenancy; return False when the tenancy turns out not to be current."""
        channel, address = sender_identity(tracker)
        try:
            with session_scope(session_factory()) as session:
                case = asb.create(
                    session=session,
                    tenancy_reference=tenancy,
                    category=category,
                    description=str(answers["asb_description"]),
                    occurred=str(answers["asb_when"] or "not stated")[:MAX_WHEN_WHERE_CHARS],
                    location=str(answers["asb_where"] or "not stated")[:MAX_WHEN_WHERE_CHARS],
                    ongoing=answers["asb_ongoing"] is True,
                    involves_threats=threats,
                    hate_related=hate,
                    actor=f"{channel}:{address}",
                    now=now,
                )
                reference, case_urgency = case.reference, Urgency(case.urgency)
        except (TenancyNotFound, TenancyEnded):
            return False
        dispatcher.utter_message(
            response="utter_asb_logged",
            reference=reference,
            priority=PRIORITY_WORDS[case_urgency],
            response_days=response_days(case_urgency),
        )
        return True

    @staticmethod
    def _hand_to_staff(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        answers: dict[str, Any],
        category: AsbCategory,
        urgency: Urgency,
        now: datetime,
    ) -> None:
        """Queue the report for staff, as urgent as a case would be."""
        channel, _ = sender_identity(tracker)

        def said(slot: str) -> str:
            value = answers[slot]
            return "not stated" if value is None else ("yes" if value is True else "no" if value is False else value)

        summary = (
            f"Anti-social behaviour report ({category.value}) from a sender not matched to a current tenancy. "
            f"What: {said('asb_description')} When: {said('asb_when')} Where: {said('asb_where')} "
            f"Ongoing: {said('asb_ongoing')}. Threats or hate: {said('asb_threats')}."
        )
        with session_scope(session_factory()) as session:
            handoff = handoffs.create(
                session=session,
                sender_id=tracker.sender_id,
                channel=channel,
                reason=HandoffReason.FALLBACK,
                urgency=urgency,
                summary=summary,
                now=now,
            )
            reference = handoff.reference
        dispatcher.utter_message(
            response="utter_asb_passed_to_staff", reference=reference, response_days=response_days(urgency)
        )
