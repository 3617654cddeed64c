"""Damp and mould reports: a hazard case under Awaab's Law, with its statutory dates told to the tenant.

DOMAIN.md, "Awaab's Law": an emergency hazard (imminent and significant risk of harm) must be investigated and
made safe within 24 hours; a significant hazard investigated within 10 working days, with a written summary, safety
work and preventative work following. The service (bot.housing.hazards) computes every milestone from
bot.clocks.hazards; this module decides which kind of hazard the tenant describes (`hazard_severity`) and says so.

A sender we cannot match to a tenancy (or who cannot be verified) still has their report taken: it goes to staff as
a handoff, because the landlord became aware the moment the tenant told us.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_entity_values, latest_intent, sender_identity, session_factory
from actions.dissatisfaction import dissatisfied_since, tenant_messages_since
from actions.formatting import day_in_words, moment_in_words
from actions.forms import NO_WORDS
from actions.identity import VerifiedFormValidation, tenancy_for_records
from bot.clocks.hazards import hazard_milestones
from bot.housing import handoffs, hazards
from bot.housing.db import session_scope
from bot.housing.enums import HandoffReason, HazardExtent, HazardSeverity, HazardType, Urgency
from bot.housing.errors import HousingError, TenancyEnded, TenancyNotFound
from bot.landlord import get_landlord

logger = logging.getLogger(__name__)

FORM_SLOTS = ("damp_rooms", "damp_extent", "damp_household", "damp_health_effects")
STARTING_INTENTS = ("report_damp_mould",)
NO_HEALTH_EFFECTS = "none reported"
MAX_ROOM_CHARS = 60  # the hazard service's limit for one room's name
MAX_ROOMS = 12
MAX_BARE_NO_WORDS = 4  # "no", "no not really", "none at all": longer answers may say more than no

_HAS_WORDS = re.compile(r"[^\W_]")
_ROOM_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\+|\band\b|\bplus\b|\balso\b)\s*", re.IGNORECASE)
_LEADING_FILLER = re.compile(r"^(?:(?:in|the|my|our|both|a|an|all|of)\s+)+", re.IGNORECASE)
_NEGATION_BEFORE = re.compile(r"\b(?:no|not|without|never|none|nobody|isn'?t|aren'?t)\b\W+(?:\w+\W+)?$", re.IGNORECASE)


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


# -- Awaab's Law: emergency or significant -------------------------------------------------------------------------

_WATER = _pattern(r"water", r"leak", r"drip", r"pour", r"flood", r"soak", r"wet\b", r"running\s+down")
# Named fittings only: "I can't afford the electric heating" next to "water on the windows" is condensation.
_ELECTRICS = _pattern(
    r"electrics",
    r"electrical\s+(?:fitting|socket|point|outlet|wiring|cable|box)",
    r"sockets?\b",
    r"light\s+(?:fitting|switch|fixture)",
    r"(?:ceiling|bathroom|kitchen|spot|down)\s*lights?\b",
    r"(?:through|from|into|in|round|around)\s+the\s+lights?\b",
    r"fuse\s*(?:box|board)?\b",
    r"consumer\s+unit",
    r"wir(?:es|ing)\b",
    r"extractor\s+fan",
)
_CEILING_FAILING = _pattern(
    r"ceiling\W+(?:\w+\W+){0,4}?(?:bulg|sag|collaps|caving|cave|fall|fell|fallen|coming\s+down|crack(?:ed|ing)?\s+and)",
    r"(?:bulg|sag|collaps|caving|fallen|falling)\w*\s+(?:\w+\s+){0,2}ceiling",
    r"ceiling\s+(?:has\s+)?(?:come|came)\s+down",
)
_HIGH_RISK_OCCUPANT = _pattern(
    r"bab(?:y|ies)",
    r"new\s*-?\s*born",
    r"infant",
    r"pregnan",
    r"asthma",
    r"copd",
    r"cystic\s+fibrosis",
    r"lung",
    r"bronchiectasis",
    r"emphysema",
    r"respiratory",
    r"breathing\s+(?:condition|problem)",
    r"oxygen",
    r"immune",
    r"immuno",
    r"chemo",
    r"cancer\s+treatment",
    r"transplant",
    r"leuk(?:a)?emia",
)
_SERIOUS_HEALTH_EFFECT = _pattern(
    r"hospital",
    r"a\s*&\s*e\b",
    r"admitted",
    r"ambulance",
    r"intensive\s+care",
    r"can'?t\s+breathe",
    r"cannot\s+breathe",
    r"struggl\w*\s+to\s+breathe",
    r"fighting\s+for\s+breath",
)


def _mentions(pattern: re.Pattern[str], text: str) -> bool:
    """Return whether `text` mentions `pattern` other than just after "no"/"not"/"without" ("no babies")."""
    return any(not _NEGATION_BEFORE.search(text[: found.start()]) for found in pattern.finditer(text))


def health_effects_reported(health_effects: str | None) -> bool:
    """Return whether the tenant said the damp or mould affects anyone's health."""
    text = " ".join(str(health_effects or "").split())
    return bool(text) and text.lower() != NO_HEALTH_EFFECTS and not _is_bare_no(text)


def hazard_severity(
    *, household: str | None, health_effects: str | None, descriptions: Iterable[str] = ()
) -> HazardSeverity:
    """Decide whether a damp and mould report is an emergency or a significant hazard under Awaab's Law.

    Awaab's Law treats as an emergency any hazard posing an imminent and significant risk of harm; it must be made
    safe within 24 hours. From what a tenant can tell us by message, that is:

    1. water reaching the electrics (water and an electrical fitting named in the same answer or message);
    2. a ceiling bulging, sagging or coming down;
    3. health effects reported for a household with someone at high risk from mould: a baby or newborn, a
       pregnancy, a serious respiratory condition (asthma, COPD, cystic fibrosis...) or a weakened immune system
       (chemotherapy, a transplant...);
    4. a serious health effect whoever it affects (a hospital admission, someone unable to breathe).

    Everything else is a significant hazard (investigated within 10 working days). Mentions straight after "no" or
    "not" ("no babies") do not count. When in doubt a person decides: staff can change a case's severity.

    Args:
        household: Who lives in the home, in the tenant's words.
        health_effects: How the damp affects anyone's health ("none reported" when nobody's is).
        descriptions: Everything else the tenant said about it (rooms, extent, their first message), one text each.
    """
    texts = [str(text) for text in descriptions if text]
    if any(_mentions(_WATER, text) and _mentions(_ELECTRICS, text) for text in texts):
        return HazardSeverity.EMERGENCY
    if any(_mentions(_CEILING_FAILING, text) for text in texts):
        return HazardSeverity.EMERGENCY
    effects = str(health_effects or "")
    if health_effects_reported(effects):
        if _mentions(_SERIOUS_HEALTH_EFFECT, effects):
            return HazardSeverity.EMERGENCY
        if _mentions(_HIGH_RISK_OCCUPANT, str(household or "")) or _mentions(_HIGH_RISK_OCCUPANT, effects):
            return HazardSeverity.EMERGENCY
    return HazardSeverity.SIGNIFICANT


# -- the tenant's answers as the hazard record wants them ----------------------------------------------------------

_SMALL = _pattern(r"small", r"little", r"tiny", r"patch", r"spot", r"bit\b", r"corner", r"around\s+the\s+window")
_EXTENSIVE = _pattern(
    r"several\s+rooms",
    r"every\s+room",
    r"all\s+(?:the\s+)?rooms",
    r"all\s+over",
    r"everywhere",
    r"spread",
    r"whole\s+(?:house|flat|home|place|ceiling|room)",
    r"covered",
    r"black\s+mould\s+on\s+(?:the\s+)?walls",
    r"(?:walls|ceilings)\s+and\s+(?:walls|ceilings)",
    r"really\s+bad",
    r"very\s+bad",
    r"terrible",
    r"severe",
)


def hazard_extent(extent: str | None, rooms: list[str]) -> HazardExtent:
    """Map the tenant's description of how bad it is to the hazard record's extent.

    Spreading, everywhere, or three or more rooms is extensive; a small patch or spot in one room is small;
    anything else (a wall, a ceiling) is moderate.
    """
    text = str(extent or "")
    if _mentions(_EXTENSIVE, text) or len(rooms) >= 3:
        return HazardExtent.EXTENSIVE
    if _mentions(_SMALL, text) and len(rooms) <= 1:
        return HazardExtent.SMALL
    return HazardExtent.MODERATE


def split_rooms(rooms: str | None) -> list[str]:
    """Split the tenant's list of rooms ("the bathroom and both bedrooms") into room names for the record."""
    found: list[str] = []
    for part in _ROOM_SEPARATORS.split(str(rooms or "")):
        name = _LEADING_FILLER.sub("", part.strip(" .!?-")).strip()
        if name and _HAS_WORDS.search(name):
            found.append(name[:MAX_ROOM_CHARS].strip())
    unique = list(dict.fromkeys(found))
    return unique[:MAX_ROOMS] or ["not stated"]


def _is_bare_no(text: str) -> bool:
    words = re.findall(r"[a-z']+", text.lower())
    return bool(words) and words[0] in NO_WORDS | {"nobody", "noone"} and len(words) <= MAX_BARE_NO_WORDS


def _has_words(value: Any) -> bool:
    return bool(_HAS_WORDS.search(str(value or "")))


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


# -- the form ---------------------------------------------------------------------------------------------------


class ValidateDampForm(VerifiedFormValidation):
    """Ask which rooms, how bad, who lives there and any effect on health.

    A known sender answers no identity questions (creating a record needs them identified, not verified); anyone
    else goes through verification first. When verification cannot happen (locked, or a channel without an
    address) the damp questions are still asked, and the report goes to staff.
    """

    form = "damp_form"
    requires = "identified"
    entity_slots = {"damp_rooms": "location"}

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Return the identity questions still needed, then the damp questions (which are never skipped)."""
        needed = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        return needed or list(domain_slots)

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Extract answers; rooms named as entities before the question is asked keep every room, not the first."""
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        rooms = latest_entity_values(tracker, "location")
        if len(rooms) > 1 and tracker.get_slot("requested_slot") != "damp_rooms":
            for event in events:
                if event.get("name") == "damp_rooms":
                    event["value"] = ", ".join(rooms)
                    tracker.slots["damp_rooms"] = event["value"]
        return events

    def value_for_damp_rooms(self, tracker: Tracker) -> str | None:
        """Take the tenant's words for the rooms, or the rooms recognised in them when the text is empty."""
        text = self.requested_text("damp_rooms", tracker)
        if text is None and tracker.get_slot("requested_slot") == "damp_rooms":
            rooms = latest_entity_values(tracker, "location")
            return ", ".join(rooms) or None
        return text

    def value_for_damp_health_effects(self, tracker: Tracker) -> str | None:
        """Take "no", "none" or a "no" button as "none reported"; any other answer in the tenant's words."""
        text = self.requested_text("damp_health_effects", tracker)
        if text is None:
            return None
        if _is_bare_no(text) or (latest_intent(tracker) == "deny" and len(text.split()) <= MAX_BARE_NO_WORDS):
            return NO_HEALTH_EFFECTS
        return text

    async def validate_damp_rooms(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept any rooms named in words."""
        return self._words("damp_rooms", value, dispatcher, "utter_damp_rooms_hint")

    async def validate_damp_extent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept any description of how bad it is."""
        return self._words("damp_extent", value, dispatcher, "utter_damp_answer_hint")

    async def validate_damp_household(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept any description of who lives in the home."""
        return self._words("damp_household", value, dispatcher, "utter_damp_answer_hint")

    async def validate_damp_health_effects(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept "none reported" or any description of the effect on health."""
        return self._words("damp_health_effects", value, dispatcher, "utter_damp_answer_hint")

    @staticmethod
    def _words(slot: str, value: Any, dispatcher: CollectingDispatcher, hint: str) -> dict[str, Any]:
        if _has_words(value):
            return {slot: " ".join(str(value).split())}
        dispatcher.utter_message(response=hint)
        return {slot: None}


# -- logging the case -------------------------------------------------------------------------------------------


class ActionLogDampCase(Action):
    """Open the hazard case with its Awaab's Law dates, alert staff to an emergency, and give interim advice."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        """Create the action; tests pass a fixed clock to check the statutory dates."""
        self.clock = clock

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_log_damp_case"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Log the case (or hand an unmatched sender's report to staff) and tell the tenant what happens next."""
        answers = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS}
        clear: list[EventType] = [SlotSet(slot, None) for slot in FORM_SLOTS]
        if not any(answers.values()):
            return clear  # the form was stopped before any answer: nothing to log
        now = self.clock()
        messages = tenant_messages_since(tracker, STARTING_INTENTS)
        rooms = split_rooms(answers["damp_rooms"])
        severity = hazard_severity(
            household=answers["damp_household"],
            health_effects=answers["damp_health_effects"],
            descriptions=[str(answers["damp_rooms"] or ""), str(answers["damp_extent"] or ""), *messages],
        )
        tenancy = tenancy_for_records(tracker)
        try:
            logged = self._log_case(dispatcher, tracker, answers, rooms, severity, tenancy, now) if tenancy else None
            if logged:
                # Photos the tenant sends next are attached to this case by the channels (channels/core).
                clear.append(SlotSet("hazard_reference", logged))
            else:
                self._hand_to_staff(dispatcher, tracker, answers, severity, now)
        except HousingError:
            logger.exception("could not log a damp and mould report")
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=get_landlord().phone)
            return []  # keep the answers so the tenant can try again
        dispatcher.utter_message(response="utter_damp_tips")
        if dissatisfied_since(tracker, STARTING_INTENTS):
            dispatcher.utter_message(response="utter_offer_complaint")
            clear.append(SlotSet("offer", "complaint"))
        return clear

    def _log_case(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        answers: dict[str, Any],
        rooms: list[str],
        severity: HazardSeverity,
        tenancy: str,
        now: datetime,
    ) -> str | None:
        """Create the hazard case (and for an emergency, the staff alert with it); return its reference.

        Returns None when the tenancy isn't current.

        The case and the alert are written in one transaction, so the tenant is never told staff were alerted
        when they were not.
        """
        channel, address = sender_identity(tracker)
        try:
            with session_scope(session_factory()) as session:
                case = hazards.create(
                    session=session,
                    tenancy_reference=tenancy,
                    severity=severity,
                    description=_description(answers),
                    rooms=rooms,
                    extent=hazard_extent(answers["damp_extent"], rooms),
                    hazard_type=HazardType.DAMP_MOULD,
                    occupants=answers["damp_household"],
                    health_effects=answers["damp_health_effects"],
                    actor=f"{channel}:{address}",
                    now=now,
                )
                reference, make_safe_by, investigate_by = case.reference, case.make_safe_by, case.investigate_by
                if severity is HazardSeverity.EMERGENCY and make_safe_by is not None:
                    handoffs.create(
                        session=session,
                        sender_id=tracker.sender_id,
                        channel=channel,
                        reason=HandoffReason.EMERGENCY,
                        urgency=Urgency.EMERGENCY,
                        summary=(
                            f"Emergency damp and mould hazard {reference} (Awaab's Law): make safe by "
                            f"{moment_in_words(make_safe_by)}. {_description(answers)}."
                        ),
                        tenancy_reference=tenancy,
                        now=now,
                    )
        except (TenancyNotFound, TenancyEnded):
            return None
        if severity is HazardSeverity.EMERGENCY and make_safe_by is not None:
            dispatcher.utter_message(
                response="utter_damp_logged_emergency", reference=reference, make_safe_by=moment_in_words(make_safe_by)
            )
        else:
            dispatcher.utter_message(
                response="utter_damp_logged_significant",
                reference=reference,
                investigate_by=day_in_words(investigate_by) if investigate_by is not None else "",
            )
        return str(reference)

    @staticmethod
    def _hand_to_staff(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        answers: dict[str, Any],
        severity: HazardSeverity,
        now: datetime,
    ) -> None:
        """Queue the report for staff when it cannot be logged against a tenancy; the Awaab's Law clock has started."""
        channel, _ = sender_identity(tracker)
        milestones = hazard_milestones(severity, now)
        if severity is HazardSeverity.EMERGENCY and milestones.make_safe_by is not None:
            deadline = f"EMERGENCY: make safe by {moment_in_words(milestones.make_safe_by)}"
        else:
            deadline = f"significant: investigate by {day_in_words(milestones.investigate_by or now.date())}"
        summary = (
            f"Damp and mould report from a sender not matched to a current tenancy (Awaab's Law, {deadline}). "
            f"{_description(answers)}. Household: {answers['damp_household'] or 'not given'}. "
            f"Health: {answers['damp_health_effects'] or 'not given'}."
        )
        emergency = severity is HazardSeverity.EMERGENCY
        with session_scope(session_factory()) as session:
            handoff = handoffs.create(
                session=session,
                sender_id=tracker.sender_id,
                channel=channel,
                reason=HandoffReason.EMERGENCY if emergency else HandoffReason.FALLBACK,
                urgency=Urgency.EMERGENCY if emergency else Urgency.HIGH,
                summary=summary,
                now=now,
            )
            reference = handoff.reference
        response = "utter_damp_passed_to_staff_emergency" if emergency else "utter_damp_passed_to_staff"
        dispatcher.utter_message(response=response, reference=reference)


def _description(answers: dict[str, Any]) -> str:
    """Return the case description staff read first: where and how bad, in the tenant's words."""
    rooms = answers.get("damp_rooms") or "rooms not given"
    extent = answers.get("damp_extent") or "extent not given"
    return f"Damp and mould in {rooms}: {extent}"
