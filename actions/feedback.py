"""Feedback: the tenant's compliment, suggestion or comment, recorded in their own words.

Feedback that is really dissatisfaction is still recorded, but the tenant is offered a complaint rather than just
thanked (Complaint Handling Code 1.3: whenever a resident expresses dissatisfaction they must be offered the choice).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timezone

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text, sender_identity, session_factory
from actions.dissatisfaction import expresses_dissatisfaction
from actions.identity import tenancy_for_records
from bot.housing import feedback
from bot.housing.db import session_scope
from bot.housing.enums import FeedbackKind
from bot.housing.errors import HousingError
from bot.landlord import get_landlord

logger = logging.getLogger(__name__)

MAX_FEEDBACK_CHARS = 4000  # the feedback record's limit

_SUGGESTION = re.compile(
    r"\b(?:suggest|suggestion|you\s+(?:should|could|need\s+to|ought\s+to)|(?:it|that)\s+would\s+be\s+(?:nice|good|"
    r"great|better|helpful)|(?:would|could)\s+you\s+(?:please\s+)?(?:add|make|open|offer|let)|why\s+(?:don'?t|not)|"
    r"idea|recommend|wish\s+you|it\s+(?:would|'?d)\s+help|please\s+(?:add|consider)|how\s+about|what\s+about)\b",
    re.IGNORECASE,
)
_COMPLIMENT = re.compile(
    r"\b(?:thank|thanks|cheers|great|brilliant|excellent|lovely|amazing|fantastic|wonderful|superb|helpful|"
    r"friendly|polite|kind|quick|fast|pleased|happy\s+with|good\s+(?:job|work|service)|well\s+done|impressed|"
    r"spot\s+on|really\s+good|very\s+good|professional|appreciate)\b",
    re.IGNORECASE,
)
# "I want to give some feedback": a request to give feedback, not the feedback itself.
_ONLY_ASKING = re.compile(
    r"^\W*(?:(?:hi|hello|hey)\W+)?(?:(?:i|we)\s*(?:'d|would|want|wanna|wish)?\s*(?:like\s+)?(?:to\s+)?|can\s+i\s+|"
    r"could\s+i\s+|)(?:give|leave|send|make|share|provide|have)\s+(?:you\s+)?(?:some\s+|a\s+|my\s+)?"
    r"(?:feedback|comments?|suggestions?|compliments?)(?:\s+please)?\W*$",
    re.IGNORECASE,
)


def feedback_kind(text: str) -> FeedbackKind:
    """Decide what kind of feedback a message is: a suggestion, a compliment, or otherwise a comment.

    A suggestion ("you should open on Saturdays") wins over praise in the same message, because it asks for
    something to change; praise alone is a compliment; everything else, including dissatisfaction, is a comment.
    """
    if _SUGGESTION.search(text):
        return FeedbackKind.SUGGESTION
    if _COMPLIMENT.search(text) and not expresses_dissatisfaction(text):
        return FeedbackKind.COMPLIMENT
    return FeedbackKind.COMMENT


def is_only_asking_to_give_feedback(text: str) -> bool:
    """Return True when the message asks to give feedback without giving any ("I'd like to leave feedback")."""
    stripped = text.strip()
    return not stripped or stripped.startswith("/") or bool(_ONLY_ASKING.match(stripped))


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ActionLogFeedback(Action):
    """Record the tenant's latest message as feedback and thank them, or offer a complaint if they are unhappy."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        """Create the action; tests may pass a fixed clock."""
        self.clock = clock

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_log_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Record the feedback; thank the tenant, or offer a complaint when it expresses dissatisfaction."""
        text = " ".join(latest_text(tracker).split())[:MAX_FEEDBACK_CHARS].strip()
        if is_only_asking_to_give_feedback(text):
            dispatcher.utter_message(response="utter_feedback_ask")
            return []
        tenancy = tenancy_for_records(tracker)
        channel, address = sender_identity(tracker)
        try:
            with session_scope(session_factory()) as session:
                record = feedback.create(
                    session=session,
                    kind=feedback_kind(text),
                    text=text,
                    tenancy_reference=tenancy,
                    actor=f"{channel}:{address}",
                    now=self.clock(),
                )
                reference = record.reference
        except HousingError:
            logger.exception("could not record feedback")
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=get_landlord().phone)
            return []
        if expresses_dissatisfaction(text):
            dispatcher.utter_message(response="utter_feedback_noted", reference=reference)
            dispatcher.utter_message(response="utter_offer_complaint")
            return [SlotSet("offer", "complaint")]
        dispatcher.utter_message(response="utter_feedback_thanks", reference=reference)
        return []
