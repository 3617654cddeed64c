"""Helpers for action tests: trackers as the action server receives them, and what an action sent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(
    *,
    text: str = "",
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
    sender_id: str = "test-sender",
    extra_message: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> Tracker:
    """Build a tracker as the action server would receive it.

    Args:
        text: The tenant's latest message.
        intent: Its intent (confidence 0.95).
        entities: Entities as Rasa sends them ({"entity": ..., "value": ...}).
        slots: Slot values.
        active_loop: The active form, if any.
        sender_id: The conversation id.
        extra_message: Extra keys merged into the latest message (e.g. response_selector, safety_triage).
        events: Earlier events.
    """
    message: dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95} if intent else {},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": 0.95}] if intent else [],
    }
    message.update(extra_message or {})
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": dict(slots or {}),
            "latest_message": message,
            "events": list(events or []),
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def known_sms_slots(phone: str, **extra: Any) -> dict[str, Any]:
    """Slots of a session started over SMS from `phone` (identified, not yet verified)."""
    return {"channel": "sms", "sender_address": phone, "identified": True, "verified": False, **extra}


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    """Return the names of the responses an action sent, in order."""
    return [str(message.get("response")) for message in dispatcher.messages]
