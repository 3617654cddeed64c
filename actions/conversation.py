"""Conversation housekeeping: checking what the tenant meant, offering a person, stopping a form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.landlord import get_landlord

DESCRIPTIONS_RESPONSE = "utter_intent_descriptions"
NEVER_CONFIRMED = frozenset({"nlu_fallback", "affirm", "deny", "out_of_scope"})


def intent_description(domain: DomainDict, intent: str) -> str | None:
    """Return the plain-words description of `intent` kept in the domain, if any."""
    variants = (domain.get("responses") or {}).get(DESCRIPTIONS_RESPONSE) or []
    for variant in variants:
        custom = variant.get("custom") or {}
        if intent in custom:
            return str(custom[intent])
    return None


def form_slots(domain: DomainDict, form: str) -> list[str]:
    """Return the slots a form fills, as listed in the domain."""
    return list(((domain.get("forms") or {}).get(form) or {}).get("required_slots") or [])


class ActionDefaultAskAffirmation(Action):
    """First stage of the fallback: ask whether the tenant meant the model's best guess."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Ask "do you want to <best guess>?" with yes/no buttons, or ask to rephrase when there is no guess."""
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        guess = next((r.get("name") for r in ranking if r.get("name") not in NEVER_CONFIRMED), None)
        description = intent_description(domain, guess) if guess else None
        if not guess or not description:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(
            response="utter_ask_affirmation",
            description=description,
            # "No" must be out_of_scope: action_two_stage_fallback treats any other intent as the tenant having
            # clarified, so "/deny" would end the fallback and be handled as a plain "no" (action_stop).
            buttons=[{"title": "Yes", "payload": f"/{guess}"}, {"title": "No", "payload": "/out_of_scope"}],
        )
        return []


class ActionDefaultFallback(Action):
    """Last stage of the fallback (or when no policy is confident): offer a person rather than guess again."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Offer to pass the conversation to staff."""
        dispatcher.utter_message(response="utter_offer_person")
        return [SlotSet("offer", "person")]


class ActionDeclineOffer(Action):
    """The tenant said no to an offer (a complaint, a person): acknowledge it and forget the offer."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_decline_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Confirm nothing was logged."""
        if tracker.get_slot("offer") == "complaint":
            dispatcher.utter_message(response="utter_complaint_not_logged")
        else:
            dispatcher.utter_message(response="utter_no_problem")
        return [SlotSet("offer", None)]


class ActionStop(Action):
    """The tenant asked to stop: close the active form without logging anything and clear its answers."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Deactivate the form (if any) and say that nothing was logged."""
        form = (tracker.active_loop or {}).get("name")
        if not form:
            dispatcher.utter_message(response="utter_nothing_else", landlord_phone=get_landlord().phone)
            return [SlotSet("offer", None)]
        dispatcher.utter_message(response="utter_form_stopped")
        events: list[dict[str, Any]] = [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("offer", None)]
        events += [SlotSet(slot, None) for slot in form_slots(domain, form)]
        return events
