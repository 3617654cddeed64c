"""The base of every TenantLine form: extracting answers from what tenants actually write.

Every form slot has a `custom` mapping in the domain, so this class decides what counts as an answer. Three rules
keep tenants safe and in control:

- A message the safety triage flagged (intent report_emergency or report_concern) is never taken as an answer:
  the form is rejected and the emergency or concern rule runs instead.
- "cancel", "forget it", "never mind"... are never taken as an answer either: the form is rejected and the tenant's
  wish to stop is handled by `action_stop`.
- Free text only fills the slot the form just asked for (`requested_slot`); entities can fill or correct any slot
  of the active form, which is how "no, it's the bathroom" corrects the room.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.common import DANGER_INTENTS, latest_entity_values, latest_intent, latest_text, safety_triage

CANCEL_PATTERN = re.compile(
    r"^\W*(?:no,?\s*)?(?:cancel(?:\s+(?:it|that|this))?|forget\s+(?:it|that|about\s+it)|never\s*mind|nevermind"
    r"|leave\s+it|don'?t\s+bother|stop\s+(?:this|that|it)|i\s+don'?t\s+want\s+to\s+(?:do\s+this|carry\s+on)"
    r"|quit|exit|start\s+again)\b",
    re.IGNORECASE,
)
CORRECTION_PATTERN = re.compile(
    r"^\W*(?:no+|nope|not|actually|sorry|wait|oops|correction|i\s+meant|i\s+mean|it'?s\s+not)\b", re.IGNORECASE
)
MAX_ANSWER_CHARS = 1000
DANGER_ACTIONS = frozenset({"action_log_concern", "action_handle_emergency"})
# Side requests the rules answer before the form asks again, when the model is sure of them. Greetings and
# thanks are not among them: "weekday mornings" or "any time thanks" are real answers that a model can mistake
# for chit-chat. An FAQ counts only when it is phrased as a question.
DIGRESSION_INTENTS = frozenset({"bot_challenge", "ask_contact_info", "request_human"})
QUESTION_INTENTS = frozenset({"faq"})
DIGRESSION_CONFIDENCE = 0.9
QUESTION_PATTERN = re.compile(
    r"\?|^\W*(?:can|could|do|does|is|are|am|who|what|whats|what's|when|where|how|why|should|will|would|may)\b",
    re.IGNORECASE,
)

YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "yup", "aye", "ok", "okay", "sure", "correct", "true", "ya"})
NO_WORDS = frozenset({"no", "n", "nope", "nah", "na", "not", "false", "none", "never"})


def wants_to_stop(text: str) -> bool:
    """Return True when the tenant asks to stop the current form ("cancel", "forget it", "never mind"...)."""
    return bool(CANCEL_PATTERN.search(text.strip()))


def danger_already_handled(tracker: Tracker) -> bool:
    """Return True when the model alone flags this answer as danger again, right after that was handled.

    Danger is never taken as a form answer: the form steps aside and the concern or emergency is dealt with.
    But the model sometimes reads an ordinary answer as a welfare concern ("me and my husband" to "who lives in
    the home?"). When the previous turn already logged a concern for the same question and the deterministic
    triage finds nothing this time, the tenant is answering the question, and taking the answer ends the loop.
    """
    if safety_triage(tracker) is not None:
        return False
    seen_user = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") in DANGER_ACTIONS:
            return True
    return False


def is_digression(tracker: Tracker) -> bool:
    """Return True for a confident side question (are you a bot? opening hours? a person please) mid-form.

    Refusing it as an answer lets the digression rules reply and then ask the form's question again.
    """
    intent = (tracker.latest_message or {}).get("intent") or {}
    if float(intent.get("confidence") or 0.0) < DIGRESSION_CONFIDENCE:
        return False
    if intent.get("name") in DIGRESSION_INTENTS:
        return True
    return intent.get("name") in QUESTION_INTENTS and bool(QUESTION_PATTERN.search(latest_text(tracker)))


def yes_or_no(tracker: Tracker) -> bool | None:
    """Read a yes/no answer from the intent, or from the first word when the intent is something else."""
    intent = latest_intent(tracker)
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    words = re.findall(r"[a-z]+", latest_text(tracker).lower())
    if words and words[0] in YES_WORDS:
        return True
    if words and words[0] in NO_WORDS:
        return False
    return None


class TenantFormValidation(FormValidationAction):
    """Extracts and validates the slots of one form; subclasses name the form and add `validate_<slot>` methods.

    Subclasses customise extraction per slot with `value_for_<slot>(tracker) -> value | None`; by default a slot
    takes the tenant's text when it is the requested slot. `entity_slots` maps a slot to the entity that may fill
    or correct it at any point while the form is active.
    """

    entity_slots: ClassVar[dict[str, str]] = {}

    def name(self) -> str:
        """Return `validate_<form>`; subclasses set `form`."""
        return f"validate_{self.form}"

    form: ClassVar[str] = ""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Return the slots this form still needs, in the order it asks for them."""
        return list(domain_slots)

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        """Name the next slot to ask for (None ends the form), always from `required_slots`.

        rasa-sdk leaves the choice to Rasa when `required_slots` equals the domain's list; deciding here in every
        case keeps one rule for all forms, including those that add verification questions.
        """
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        missing = next((slot for slot in required if tracker.slots.get(slot) is None), None)
        return SlotSet("requested_slot", missing)

    def domain_slots(self, domain: DomainDict) -> list[str]:
        """Return the form's slots as listed in the domain."""
        form = domain.get("forms", {}).get(self.form, {})
        return list(form.get("required_slots", []) or [])

    async def get_extraction_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Extract every slot the tenant's latest message answers (nothing if it is danger or a wish to stop)."""
        if latest_intent(tracker) in DANGER_INTENTS and not danger_already_handled(tracker):
            return []
        if wants_to_stop(latest_text(tracker)) or is_digression(tracker):
            return []
        slots = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        requested = tracker.get_slot("requested_slot")
        correcting = bool(CORRECTION_PATTERN.search(latest_text(tracker)))
        found: dict[str, Any] = {}
        for slot, entity in self.entity_slots.items():
            if slot not in slots or slot == requested:
                continue
            values = latest_entity_values(tracker, entity)
            # An entity fills an empty slot, or replaces a filled one only when the tenant is correcting it:
            # "the boiler bangs" in a description must not change the item, "no, it's the bathroom" must.
            if values and (tracker.get_slot(slot) is None or correcting):
                found[slot] = values[0]
        corrected_other_slot = correcting and any(tracker.get_slot(slot) is not None for slot in found)
        if requested in slots and not corrected_other_slot:
            value = self.extract_value(str(requested), tracker)
            if value is not None:
                found[str(requested)] = value
        for slot, value in found.items():
            tracker.slots[slot] = value
        return [SlotSet(slot, value) for slot, value in found.items()]

    def extract_value(self, slot: str, tracker: Tracker) -> Any:
        """Return the value the latest message gives `slot`, or None when it says nothing about it."""
        custom = getattr(self, f"value_for_{slot}", None)
        if custom is not None:
            return custom(tracker)
        entity = self.entity_slots.get(slot)
        if entity:
            values = latest_entity_values(tracker, entity)
            if values:
                return values[0]
        return self.requested_text(slot, tracker)

    @staticmethod
    def requested_text(slot: str, tracker: Tracker) -> str | None:
        """Return the tenant's text when `slot` is the one just asked for, trimmed to a sane length."""
        if tracker.get_slot("requested_slot") != slot:
            return None
        text = " ".join(latest_text(tracker).split())
        if not text:
            return None
        return text[:MAX_ANSWER_CHARS]
