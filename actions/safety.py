"""Emergencies and welfare concerns: the safety message first, then a record and a person, whatever fails.

DOMAIN.md, "Safety messages the assistant gives at once (before anything else)": every reply here starts with the
safety advice for the danger found, before any database work, so a tenant in danger reads what to do even when
the housing system is down. Then a member of staff is alerted through an urgent handoff, and the record (an
emergency repair, or a welfare concern) is made. If that fails the tenant is told to phone; nothing fails silently.

The kind of danger comes from the safety triage component (bot/nlp/safety.py), which sets a `hazard` entity and
a `safety_triage` summary on the message. When the model predicted the intent without the triage, the triage is
run here on the text; when even that finds nothing, the tenant gets the general "call 999" advice.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import latest_entity_values, latest_text, safety_triage, sender_identity, session_factory
from actions.conversation import form_slots
from actions.handoff import SUPPORTED_CHANNELS, offer_complaint_if_unhappy, open_handoff
from actions.identity import Sender, identify
from bot.housing import repairs, welfare
from bot.housing.db import session_scope
from bot.housing.enums import HandoffReason, Priority, Urgency
from bot.housing.errors import HousingError, InvalidInput
from bot.housing.validation import normalise_channel_address
from bot.landlord import get_landlord
from bot.safety.triage import Danger, TriageResult, triage

logger = logging.getLogger(__name__)

HAZARD_ENTITY = "hazard"

SAFETY_RESPONSES: dict[Danger, str] = {
    Danger.GAS: "utter_safety_gas",
    Danger.CARBON_MONOXIDE: "utter_safety_carbon_monoxide",
    Danger.FIRE: "utter_safety_fire",
    Danger.ELECTRICAL: "utter_safety_electrical",
    Danger.FLOOD: "utter_safety_flood",
    Danger.SEWAGE: "utter_safety_sewage",
    Danger.INSECURE_HOME: "utter_safety_insecure_home",
    Danger.DOMESTIC_ABUSE: "utter_safety_welfare",
    Danger.SELF_HARM: "utter_safety_welfare",
    Danger.CHILD_AT_RISK: "utter_safety_welfare",
    Danger.PERSON_AT_RISK: "utter_safety_welfare",
}
CALL_999_RESPONSE = "utter_safety_fire"
"""Said first when life is at risk right now, and alone when the kind of emergency is not known."""

WELFARE_RESPONSE = "utter_safety_welfare"

# These messages already start with "call 999", so a separate 999 message before them would only repeat it.
OPENS_WITH_999 = frozenset(
    {
        Danger.FIRE,
        Danger.INSECURE_HOME,
        Danger.DOMESTIC_ABUSE,
        Danger.SELF_HARM,
        Danger.CHILD_AT_RISK,
        Danger.PERSON_AT_RISK,
    }
)

# What staff read as the repair's item when the tenant named none (repairs.create needs one).
EMERGENCY_ITEMS: dict[Danger, str] = {
    Danger.GAS: "gas (smell of gas reported)",
    Danger.CARBON_MONOXIDE: "carbon monoxide alarm",
    Danger.FIRE: "fire or smoke",
    Danger.ELECTRICAL: "electrics (sparking, smoking or burning)",
    Danger.FLOOD: "water leak or flooding",
    Danger.SEWAGE: "drains (sewage in the home)",
    Danger.INSECURE_HOME: "doors, windows or locks (home not secure)",
}
UNKNOWN_EMERGENCY_ITEM = "emergency (see description)"
UNKNOWN_LOCATION = "not given"

# Who a welfare concern is about, until the reporter says more.
WELFARE_SUBJECTS: dict[Danger, str] = {
    Danger.DOMESTIC_ABUSE: "someone who may be experiencing domestic abuse",
    Danger.SELF_HARM: "someone who may harm themselves",
    Danger.CHILD_AT_RISK: "a child who may be at risk",
    Danger.PERSON_AT_RISK: "a person who may be at risk",
}
UNKNOWN_WELFARE_SUBJECT = "not yet known (see the concern)"

# Words that make a welfare concern an emergency even when the triage did not flag immediate danger. Recall wins:
# an over-urgent concern costs a member of staff a few minutes, an under-urgent one can cost a life.
URGENT_WELFARE_WORDS = re.compile(
    r"\b(?:right\s+now|now|tonight|today|at\s+the\s+moment|currently|as\s+we\s+speak|urgent(?:ly)?|emergency"
    r"|asap|help\s+(?:me|us|her|him|them)|scream(?:ing|s)?|bleeding|blood|unconscious|not\s+breathing"
    r"|collapsed|fallen|can'?t\s+get\s+up|not\s+moving|weapon|knife|gun|overdose|pills|tablets"
    r"|going\s+to\s+(?:kill|hurt|end)|threaten(?:ing|ed|s)?|locked\s+(?:in|out))\b",
    re.IGNORECASE,
)

MAX_ITEM_CHARS = 80
MAX_DESCRIPTION_CHARS = 4000
MAX_SUBJECT_CHARS = 200


@dataclass(frozen=True)
class Assessment:
    """What kind of danger a message describes, as far as the triage can tell.

    Attributes:
        danger: The danger, or None when the model predicted danger but the triage could not name it.
        immediate: Whether life is at risk right now (999 advice first).
    """

    danger: Danger | None
    immediate: bool

    @property
    def welfare(self) -> bool:
        """Return whether the danger is to a person (a welfare concern) rather than to the home."""
        return self.danger is not None and self.danger.category == "welfare"

    @property
    def label(self) -> str:
        """Return the danger in words for staff ("carbon monoxide"), or "not recognised"."""
        return self.danger.value.replace("_", " ") if self.danger is not None else "not recognised"


def _danger(value: Any) -> Danger | None:
    try:
        return Danger(str(value))
    except ValueError:
        return None


def triage_text(text: str) -> TriageResult | None:
    """Run the safety triage on `text`, never raising: a fault in it must not stop the safety message."""
    try:
        return triage(text)
    except Exception:  # noqa: BLE001 - any fault here must fall back to the general safety advice
        logger.exception("safety triage failed on a message of %d characters", len(text))
        return None


def assess(tracker: Tracker) -> Assessment:
    """Find the danger in the latest message: the triage component's `hazard` entity, else the triage itself.

    Args:
        tracker: The conversation.

    Returns:
        The danger and whether it is immediate.
    """
    named = [danger for danger in map(_danger, latest_entity_values(tracker, HAZARD_ENTITY)) if danger is not None]
    danger = named[0] if named else None
    found = safety_triage(tracker)
    flagged = _danger(found.get("danger")) if found is not None else None
    if found is not None and flagged is not None:
        # The triage component read this message already: trust its reading of immediacy too.
        return Assessment(danger or flagged, bool(found.get("immediate_danger")))
    # The model predicted danger on its own (or a button carried the hazard): read the text here.
    result = triage_text(latest_text(tracker))
    if result is None:
        return Assessment(danger, False)
    return Assessment(danger or result.danger, result.immediate_danger)


def safety_responses(assessment: Assessment) -> list[str]:
    """Return the safety messages for a danger, in the order to send them (DOMAIN.md, "Safety messages").

    "Call 999" comes first when life is at risk right now, unless the danger's own message already opens with
    it; when the danger is unknown, the general "call 999" advice is all that can safely be said.
    """
    if assessment.danger is None:
        return [CALL_999_RESPONSE]
    specific = SAFETY_RESPONSES[assessment.danger]
    if assessment.immediate and assessment.danger not in OPENS_WITH_999:
        return [CALL_999_RESPONSE, specific]
    return [specific]


def concern_urgency(assessment: Assessment, text: str) -> Urgency:
    """Return how urgent a welfare concern is: an emergency when life may be at risk now, otherwise high."""
    if assessment.immediate or URGENT_WELFARE_WORDS.search(text):
        return Urgency.EMERGENCY
    return Urgency.HIGH


def active_form(tracker: Tracker) -> str | None:
    """Return the name of the active form (or other loop), if any."""
    name = (tracker.active_loop or {}).get("name")
    return str(name) if name else None


def close_form(tracker: Tracker, domain: DomainDict) -> tuple[list[EventType], dict[str, Any]]:
    """Deactivate any active form so the emergency is not swallowed, and clear its answers.

    Returns:
        The events to return, and the answers the form had collected (for the handoff, so nothing is lost).
    """
    events: list[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)]
    form = active_form(tracker)
    if form is None:
        return events, {}
    slots = form_slots(domain, form)
    answers = {slot: tracker.get_slot(slot) for slot in slots if tracker.get_slot(slot) is not None}
    events += [SlotSet(slot, None) for slot in slots]
    return events, answers


def _answers_note(form: str | None, answers: dict[str, Any]) -> str:
    if not form or not answers:
        return ""
    listed = "; ".join(f"{slot}: {value}" for slot, value in answers.items())
    return f"\nBefore this the tenant was in {form}: {listed}"


def _identify_safely(tracker: Tracker) -> Sender | None:
    channel, address = sender_identity(tracker)
    try:
        with session_scope(session_factory()) as session:
            return identify(session, channel, address)
    except (HousingError, SQLAlchemyError):
        logger.exception("could not identify the sender of an emergency")
        return None


def _create_emergency_repair(tracker: Tracker, tenancy_reference: str, assessment: Assessment) -> str | None:
    """Log an emergency repair against the tenancy and return its reference, or None if it could not be."""
    text = " ".join(latest_text(tracker).split())
    items = latest_entity_values(tracker, "repair_item")
    locations = latest_entity_values(tracker, "location")
    default_item = EMERGENCY_ITEMS.get(assessment.danger) if assessment.danger is not None else None
    item = items[0] if items else default_item or UNKNOWN_EMERGENCY_ITEM
    location = locations[0] if locations else UNKNOWN_LOCATION
    description = text or f"Emergency reported without any text (danger: {assessment.label})"
    channel, _ = sender_identity(tracker)
    try:
        with session_scope(session_factory()) as session:
            job = repairs.create(
                session=session,
                tenancy_reference=tenancy_reference,
                item=item[:MAX_ITEM_CHARS],
                location=location[:MAX_ITEM_CHARS],
                description=description[:MAX_DESCRIPTION_CHARS],
                priority=Priority.EMERGENCY,
                channel=channel if channel in SUPPORTED_CHANNELS else None,
                actor=f"tenant:{tracker.sender_id}",
            )
            return str(job.reference)
    except (HousingError, SQLAlchemyError):
        logger.exception("could not log an emergency repair for %s", tracker.sender_id)
        return None


def _reporter(tracker: Tracker) -> tuple[str | None, str | None]:
    """Return the reporter's channel and address as the welfare service stores them (None where it can't)."""
    channel, address = sender_identity(tracker)
    if channel not in SUPPORTED_CHANNELS:
        return None, None
    try:
        return channel, normalise_channel_address(channel, address)
    except InvalidInput:
        return channel, None


def log_concern(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    assessment: Assessment,
    *,
    ask_more: bool,
    form_note: str = "",
) -> None:
    """Record a welfare concern and alert staff, then tell the reporter (the safety message is already sent).

    Args:
        dispatcher: Where replies go.
        tracker: The conversation.
        assessment: The danger found in the message.
        ask_more: Whether to ask who the concern is about; not inside a form, which asks its own question next
            and would take the answer as its own.
        form_note: What a form the tenant was in had collected, for staff.
    """
    landlord = get_landlord()
    text = " ".join(latest_text(tracker).split())
    urgency = concern_urgency(assessment, text)
    known_subject = WELFARE_SUBJECTS.get(assessment.danger) if assessment.danger is not None else None
    subject = known_subject or UNKNOWN_WELFARE_SUBJECT
    concern_text = text or f"Concern reported without any text (danger: {assessment.label})"
    reporter_channel, reporter_address = _reporter(tracker)
    verified = bool(tracker.get_slot("verified"))
    concern_reference: str | None = None
    try:
        with session_scope(session_factory()) as session:
            tenancy = None
            if verified:
                channel, address = sender_identity(tracker)
                tenancy = identify(session, channel, address).tenancy_reference
            concern = welfare.create(
                session=session,
                subject=subject[:MAX_SUBJECT_CHARS],
                concern=concern_text[:MAX_DESCRIPTION_CHARS],
                urgency=urgency,
                tenancy_reference=tenancy,
                reporter_channel=reporter_channel,
                reporter_address=reporter_address,
                actor=f"tenant:{tracker.sender_id}",
            )
            concern_reference = str(concern.reference)
    except (HousingError, SQLAlchemyError):
        logger.exception("could not record a welfare concern for %s", tracker.sender_id)
    record = concern_reference or "not recorded (database error)"
    summary = (
        f"WELFARE CONCERN ({assessment.label}; urgency {urgency.value}; record {record}):\n"
        f"{text or '(no text)'}{form_note}"
    )
    handoff_reference = open_handoff(
        tracker, reason=HandoffReason.WELFARE, urgency=urgency, summary=summary, link_tenancy=verified
    )
    if handoff_reference is None:
        dispatcher.utter_message(
            response="utter_concern_not_logged",
            landlord_phone=landlord.phone,
            out_of_hours_phone=landlord.out_of_hours_phone,
        )
        return
    dispatcher.utter_message(response="utter_concern_logged", reference=concern_reference or handoff_reference)
    if ask_more:
        dispatcher.utter_message(response="utter_concern_ask_more")


class ActionHandleEmergency(Action):
    """Give the safety advice for an emergency, alert staff at once and log an emergency repair."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_handle_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send the safety message, close any form, then log the emergency and say what happens next."""
        assessment = assess(tracker)
        for response in safety_responses(assessment):
            dispatcher.utter_message(response=response)
        form = active_form(tracker)
        events, answers = close_form(tracker, domain)
        note = _answers_note(form, answers)
        if assessment.welfare:
            # The triage found a person at risk rather than a hazard: it is a welfare concern, and the form is
            # closed because this action promises that.
            log_concern(dispatcher, tracker, assessment, ask_more=True, form_note=note)
            return [*events, *offer_complaint_if_unhappy(dispatcher, tracker)]
        landlord = get_landlord()
        # No verification in an emergency: the number on file is enough to send someone (and the tenant is told
        # nothing about the tenancy).
        sender = _identify_safely(tracker)
        tenancy = (tracker.get_slot("verified") and tracker.get_slot("verified_tenancy")) or (
            sender.tenancy_reference if sender is not None else None
        )
        job_reference = _create_emergency_repair(tracker, tenancy, assessment) if tenancy else None
        text = " ".join(latest_text(tracker).split())
        immediate = "; immediate danger to life" if assessment.immediate else ""
        repair = job_reference or ("not logged (database error)" if tenancy else "none (sender not matched)")
        summary = f"EMERGENCY ({assessment.label}{immediate}; repair {repair}):\n{text or '(no text)'}{note}"
        handoff_reference = open_handoff(
            tracker,
            reason=HandoffReason.EMERGENCY,
            urgency=Urgency.EMERGENCY,
            summary=summary,
            link_tenancy=True,
        )
        if handoff_reference is None:
            dispatcher.utter_message(
                response="utter_emergency_not_logged", out_of_hours_phone=landlord.out_of_hours_phone
            )
        elif job_reference is not None:
            dispatcher.utter_message(response="utter_emergency_logged", reference=job_reference)
        else:
            dispatcher.utter_message(
                response="utter_emergency_no_tenancy", out_of_hours_phone=landlord.out_of_hours_phone
            )
        if job_reference is not None:
            events.append(SlotSet("repair_reference", job_reference))  # photos sent next attach to this job
        return [*events, *offer_complaint_if_unhappy(dispatcher, tracker)]


class ActionLogConcern(Action):
    """Give the welfare safety advice, record the concern and alert staff."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_log_concern"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send the welfare safety message, log the concern, and ask for more unless a form is waiting.

        A form the tenant was filling stays active: the topic's rules (data/rules/<topic>.yml) ask its question
        again straight after this action, as the conversation tests expect. Forms never take a flagged message
        as an answer (actions/forms.py), so the concern itself cannot be swallowed.
        """
        assessment = assess(tracker)
        dispatcher.utter_message(response=WELFARE_RESPONSE)
        if assessment.danger is not None and not assessment.welfare:
            # The model said "concern" but the text describes a hazard in the home: give that advice too.
            for response in safety_responses(assessment):
                dispatcher.utter_message(response=response)
        in_form = active_form(tracker) is not None
        log_concern(dispatcher, tracker, assessment, ask_more=not in_form)
        if in_form:
            return []
        return offer_complaint_if_unhappy(dispatcher, tracker)
