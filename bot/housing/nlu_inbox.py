"""The trainers' NLU inbox: tenant messages the assistant was unsure of, waiting for a trainer's decision.

Items arrive already redacted (`bot.training_data.redact`); this module stores them once per source message, keeps
the collector's read position, and records each trainer's decision in the audit log. Writing the labelled example
into the training data is `bot.training_data.inbox`'s job; this module only keeps the inbox.
"""

from __future__ import annotations

import builtins
import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.housing import audit
from bot.housing._common import SYSTEM_ACTOR, choice, require_aware, resolve_now
from bot.housing._sql import insert_ignore
from bot.housing.enums import InboxReason, InboxStatus
from bot.housing.errors import InboxItemNotFound, InvalidInput, InvalidStatusTransition
from bot.housing.models import NluInboxCursor, NluInboxItem
from bot.housing.validation import require_text

MAX_TEXT = 4000
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,60}(?:/[a-z0-9_]{1,38})?$")
"""An intent as Rasa's YAML names it: lower-case words joined by `_`, with an optional `/sub_intent` (faq/pets)."""

DECIDED = {InboxStatus.CONFIRMED, InboxStatus.RELABELLED, InboxStatus.DISCARDED}


def check_intent_name(name: str | None, field: str = "intent") -> str:
    """Return a well-formed intent name, stripped.

    Raises:
        InvalidInput: If `name` is blank or not of the form `report_repair` or `faq/pets`.

    """
    value = str(name or "").strip()
    if not INTENT_NAME.match(value):
        raise InvalidInput(f"{field} {name!r} is not an intent name (lower-case words joined by _, e.g. report_repair)")
    return value


def get(*, session: Session, item_id: int) -> NluInboxItem | None:
    """Return the inbox item with id `item_id`, or None."""
    found: NluInboxItem | None = session.get(NluInboxItem, item_id)
    return found


def get_or_raise(*, session: Session, item_id: int) -> NluInboxItem:
    """Return the inbox item with id `item_id`.

    Raises:
        InboxItemNotFound: If there is none.

    """
    found = get(session=session, item_id=item_id)
    if found is None:
        raise InboxItemNotFound(f"no inbox item {item_id}")
    return found


def list(
    *,
    session: Session,
    status: InboxStatus | str | None = InboxStatus.NEW,
    limit: int = 100,
    offset: int = 0,
) -> builtins.list[NluInboxItem]:
    """Return inbox items, newest message first, optionally only those with one status.

    Raises:
        InvalidChoice: For an unknown status.

    """
    statement = select(NluInboxItem).order_by(NluInboxItem.received_at.desc(), NluInboxItem.id.desc())
    if status is not None:
        statement = statement.where(NluInboxItem.status == choice(InboxStatus, status, "status"))
    statement = statement.limit(max(0, limit)).offset(max(0, offset))
    return builtins.list(session.execute(statement).scalars().all())


def count(*, session: Session, status: InboxStatus | str = InboxStatus.NEW) -> int:
    """Return how many items have `status` (the inbox page shows how many are waiting).

    Raises:
        InvalidChoice: For an unknown status.

    """
    wanted = choice(InboxStatus, status, "status")
    statement = select(func.count()).select_from(NluInboxItem).where(NluInboxItem.status == wanted)
    return int(session.execute(statement).scalar_one())


def create(
    *,
    session: Session,
    key: str,
    text: str,
    reason: InboxReason | str,
    received_at: datetime,
    predicted_intent: str | None = None,
    confidence: float | None = None,
    redactions: builtins.list[str] | None = None,
    suggested_intent: str | None = None,
    suggested_by: str | None = None,
    now: datetime | None = None,
) -> tuple[NluInboxItem, bool]:
    """Add a message to the inbox unless an item with the same `key` exists.

    Args:
        session: The open session.
        key: Identifies the source message, so the same message is stored once.
        text: The message, already redacted (card numbers are masked again here regardless).
        reason: Why it is in the inbox.
        received_at: When the tenant sent it.
        predicted_intent: What the assistant thought it meant.
        confidence: The assistant's confidence in that, from 0 to 1.
        redactions: The kinds of personal data removed from the text ("phone", "postcode", ...).
        suggested_intent: The intent a member of staff said it meant, for a corrected message.
        suggested_by: Who said so ("staff:amira").
        now: When it is stored.

    Returns:
        The item, and whether it was created by this call (False: it was already there, and is returned as it is).

    Raises:
        InvalidInput: For a blank key, blank or over-long text, a confidence outside 0-1 or a malformed intent.
        InvalidChoice: For an unknown reason.

    """
    at = resolve_now(now)
    source_key = str(key or "").strip()
    if not source_key or len(source_key) > 80:
        raise InvalidInput("key must be 1 to 80 characters")
    words = require_text(text, field="text", max_length=MAX_TEXT)
    why = choice(InboxReason, reason, "reason")
    if confidence is not None and not (isinstance(confidence, (int, float)) and 0.0 <= float(confidence) <= 1.0):
        raise InvalidInput(f"confidence must be between 0 and 1, got {confidence!r}")
    predicted = check_intent_name(predicted_intent, "predicted_intent") if predicted_intent else None
    suggested = check_intent_name(suggested_intent, "suggested_intent") if suggested_intent else None
    kinds = ",".join(sorted(set(redactions or [])))
    if len(kinds) > 200:
        raise InvalidInput("too many kinds of redaction")
    values = {
        "key": source_key,
        "text": words,
        "redactions": kinds,
        "predicted_intent": predicted,
        "confidence": float(confidence) if confidence is not None else None,
        "reason": why.value,
        "suggested_intent": suggested,
        "suggested_by": suggested_by if suggested else None,
        "status": InboxStatus.NEW.value,
        "received_at": require_aware(received_at, "received_at"),
        "created_at": at,
        "updated_at": at,
    }
    inserted = insert_ignore(session, NluInboxItem.__table__, values, conflict_columns=["key"])
    item = session.execute(select(NluInboxItem).where(NluInboxItem.key == source_key)).scalar_one()
    return item, inserted is not None


def update(
    *,
    session: Session,
    item_id: int,
    status: InboxStatus | str | None = None,
    label: str | None = None,
    suggested_intent: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> NluInboxItem:
    """Decide an item (confirm, relabel or discard it) or record a staff correction on a waiting one.

    Args:
        session: The open session.
        item_id: The item.
        status: The decision; None to only record `suggested_intent`.
        label: The intent the example was filed under (required to confirm or relabel).
        suggested_intent: A member of staff's correction: the item becomes a "corrected" one.
        actor: Who decided.
        now: When.

    Returns:
        The item.

    Raises:
        InboxItemNotFound: If there is no such item.
        InvalidStatusTransition: If the item was already decided.
        InvalidInput: If a label is missing or malformed, or a status is given with a correction.
        InvalidChoice: For an unknown status.

    """
    at = resolve_now(now)
    item = get_or_raise(session=session, item_id=item_id)
    if item.status in DECIDED:
        raise InvalidStatusTransition(f"inbox item {item_id} was already {item.status.value} by {item.decided_by}")
    if suggested_intent is not None:
        if status is not None:
            raise InvalidInput("a correction and a decision cannot be made in one step")
        item.suggested_intent = check_intent_name(suggested_intent, "suggested_intent")
        item.suggested_by = actor
        item.reason = InboxReason.CORRECTED
        item.updated_at = at
        session.flush()
        audit.record(
            session=session,
            actor=actor,
            action="nlu_inbox.corrected",
            subject=f"inbox:{item.id}",
            details={"intent": item.suggested_intent},
            now=at,
        )
        return item
    target = choice(InboxStatus, status, "status") if status is not None else None
    if target is None or target is InboxStatus.NEW:
        raise InvalidInput("status must be confirmed, relabelled or discarded")
    if target is InboxStatus.DISCARDED:
        item.label = None
    else:
        item.label = check_intent_name(label, "label")
    item.status = target
    item.decided_by = actor
    item.decided_at = at
    item.updated_at = at
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action=f"nlu_inbox.{target.value}",
        subject=f"inbox:{item.id}",
        details={"label": item.label, "predicted": item.predicted_intent},
        now=at,
    )
    return item


def cursor_position(*, session: Session, source: str) -> int:
    """Return the last position the collector read from `source` (0 before the first run)."""
    found = session.get(NluInboxCursor, source)
    return int(found.position) if found is not None else 0


def advance_cursor(*, session: Session, source: str, position: int, now: datetime | None = None) -> None:
    """Record that the collector has read `source` up to `position`; it never moves backwards."""
    at = resolve_now(now)
    insert_ignore(
        session,
        NluInboxCursor.__table__,
        {"source": source, "position": 0, "updated_at": at},
        conflict_columns=["source"],
    )
    # Lock the row so two collectors running at once cannot both move it (the second waits, then sees the first).
    found = session.execute(
        select(NluInboxCursor).where(NluInboxCursor.source == source).with_for_update()
    ).scalar_one()
    if position > found.position:
        found.position = position
        found.updated_at = at
        session.flush()
