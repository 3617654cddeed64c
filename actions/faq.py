"""Answers to frequently asked questions, worded by the landlord in landlord.yml."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.landlord import get_landlord

RETRIEVAL_INTENT = "faq"


def faq_topic(tracker: Tracker) -> str | None:
    """Return the FAQ topic (e.g. "pets") the ResponseSelector chose for the latest message."""
    selector = (tracker.latest_message or {}).get("response_selector") or {}
    chosen = (selector.get(RETRIEVAL_INTENT) or {}).get("response") or {}
    key = chosen.get("intent_response_key") or ""
    prefix = f"{RETRIEVAL_INTENT}/"
    return key[len(prefix) :] if key.startswith(prefix) else None


class ActionAnswerFaq(Action):
    """Answer a frequently asked question with the landlord's own wording."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        """Send the answer for the selected topic, or point to the phone line when there is none."""
        landlord = get_landlord()
        topic = faq_topic(tracker)
        answer = landlord.faq.get(topic) if topic else None
        if answer:
            dispatcher.utter_message(text=" ".join(answer.split()))
        else:
            dispatcher.utter_message(response="utter_faq_unknown", landlord_phone=landlord.phone)
        return []
