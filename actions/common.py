"""What every TenantLine action shares: the housing database, the landlord's facts and the sender's identity.

Nothing is created at import: the action server imports every module in `actions/` at start-up, and the database
engine is made on the first action that needs it (or handed in by tests through `use_session_factory`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from threading import Lock
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from bot.housing.db import create_engine_for, make_session_factory
from bot.settings import get_settings

logger = logging.getLogger(__name__)

DANGER_INTENTS = frozenset({"report_emergency", "report_concern"})

_factory: Callable[[], Session] | None = None
_factory_lock = Lock()


def session_factory() -> Callable[[], Session]:
    """Return the housing database's session factory, creating the engine on first use."""
    global _factory
    if _factory is None:
        with _factory_lock:
            if _factory is None:
                _factory = make_session_factory(create_engine_for(get_settings().database_url))
    return _factory


def use_session_factory(factory: Callable[[], Session] | None) -> None:
    """Point the actions at another database (tests), or back at the configured one with None."""
    global _factory
    with _factory_lock:
        _factory = factory


def phrasebook(domain: dict[str, Any], response: str, key: str, **values: Any) -> str:
    """Return phrase `key` of a phrasebook response in the domain (its `custom:` mapping), with `values` filled in.

    Short pieces of tenant-facing wording that actions assemble (a balance in words, a listing line) live in the
    domain like every other sentence; a phrasebook response keeps them together under one name.
    """
    variants = (domain.get("responses") or {}).get(response) or [{}]
    template = str((variants[0].get("custom") or {}).get(key) or "")
    return template.format(**values) if values else template


def latest_text(tracker: Tracker) -> str:
    """Return the text of the tenant's latest message ("" when there is none)."""
    return str((tracker.latest_message or {}).get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    """Return the intent of the tenant's latest message."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None


def latest_entity_values(tracker: Tracker, entity: str) -> list[str]:
    """Return the values of `entity` in the tenant's latest message, in order, without repeats."""
    seen: list[str] = []
    for item in (tracker.latest_message or {}).get("entities") or []:
        if item.get("entity") == entity and item.get("value") is not None:
            value = str(item["value"])
            if value not in seen:
                seen.append(value)
    return seen


def safety_triage(tracker: Tracker) -> dict[str, Any] | None:
    """Return what the safety triage found in the latest message (see bot/nlp/safety.py), if anything."""
    found = (tracker.latest_message or {}).get("safety_triage")
    return found if isinstance(found, dict) else None


def sender_identity(tracker: Tracker) -> tuple[str, str]:
    """Return (channel, address) of the sender from the slots set at session start.

    Falls back to the REST channel and the Rasa sender id, which identifies nobody: a stranger learns nothing.
    """
    channel = tracker.get_slot("channel") or "rest"
    address = tracker.get_slot("sender_address") or tracker.sender_id
    return str(channel), str(address)
