"""Fill the trainers' NLU inbox from real conversations, and file what trainers decide as training data.

Where messages come from: Rasa's SQL tracker store (`endpoints.yml`), whose `events` table holds every tenant
message with the parse the model made of it (intent, confidence, ranking). The collector reads user events after the
last id it saw (a cursor in the housing database), so each run does only new work and a message read twice is stored
once (items are keyed by a digest of the conversation and the message's time, never by the sender's number). Reading
the store rather than hooking the message path means the inbox costs the tenant nothing, survives the collector being
down, and can be rebuilt; staff corrections made on a transcript use the same key, so a message both collected and
corrected is one item.

What is collected: a message the fallback caught (`nlu_fallback`), or whose top intent's confidence is below
`DEFAULT_THRESHOLD`. Button presses and commands ("/restart") are skipped. Every message is redacted before it is
stored.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.housing import nlu_inbox
from bot.housing.db import session_scope
from bot.housing.enums import InboxReason, InboxStatus
from bot.housing.errors import HousingError
from bot.training_data.nlu_files import AlreadyPresent, NluData, TrainingDataError
from bot.training_data.redact import fill_placeholders, redact

SOURCE = "rasa_tracker_store"
FALLBACK = "nlu_fallback"
DEFAULT_THRESHOLD = 0.75
"""Messages whose top intent scored below this go to the inbox (see docs/nlu-inbox.md for how it was chosen)."""
BATCH = 500

SessionFactory = Callable[[], Session]

_EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("data", sa.Text),
)


def message_key(sender_id: str, timestamp: float) -> str:
    """Return the inbox key of a tenant message: the same for the tracker store and the Rasa HTTP API's events."""
    digest = hashlib.sha256(f"{sender_id}|{float(timestamp)!r}".encode()).hexdigest()
    return f"msg:{digest[:40]}"


@dataclass(frozen=True)
class Parse:
    """What the model made of a message: its best real intent, that intent's confidence, and whether it fell back."""

    intent: str | None
    confidence: float | None
    fell_back: bool


def read_parse(parse_data: Mapping[str, Any]) -> Parse:
    """Return the model's best real guess from a message's parse data (the fallback's own "intent" is skipped)."""
    found_intent = parse_data.get("intent")
    intent: Mapping[str, Any] = found_intent if isinstance(found_intent, Mapping) else {}
    name = intent.get("name") if isinstance(intent.get("name"), str) else None
    found_ranking = parse_data.get("intent_ranking")
    ranking: list[Any] = found_ranking if isinstance(found_ranking, list) else []
    if name != FALLBACK:
        return Parse(name, _confidence(intent.get("confidence")), False)
    for entry in ranking:
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str) and entry.get("name") != FALLBACK:
            return Parse(str(entry["name"]), _confidence(entry.get("confidence")), True)
    return Parse(None, None, True)


def _confidence(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return min(1.0, max(0.0, float(value)))


def reason_for(parse: Parse, threshold: float) -> InboxReason | None:
    """Return why a message belongs in the inbox, or None if the model was sure enough."""
    if parse.fell_back:
        return InboxReason.FALLBACK
    if parse.confidence is None or parse.confidence < threshold:
        return InboxReason.LOW_CONFIDENCE
    return None


def _moment(timestamp: Any) -> datetime:
    try:
        return datetime.fromtimestamp(float(timestamp), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(timezone.utc)


def _worth_keeping(text: Any) -> bool:
    return isinstance(text, str) and bool(text.strip()) and not text.strip().startswith("/")


@dataclass(frozen=True)
class CollectResult:
    """What one collection run did."""

    read: int
    added: int
    already: int


def store_message(
    session: Session,
    *,
    sender_id: str,
    timestamp: float,
    text: str,
    parse: Parse,
    reason: InboxReason,
    suggested_intent: str | None = None,
    actor: str | None = None,
) -> tuple[Any, bool]:
    """Redact a tenant message and put it in the inbox (once); return the item and whether it is new."""
    cleaned = redact(text)
    return nlu_inbox.create(
        session=session,
        key=message_key(sender_id, timestamp),
        text=cleaned.text,
        redactions=list(cleaned.kinds),
        predicted_intent=parse.intent,
        confidence=parse.confidence,
        reason=reason,
        received_at=_moment(timestamp),
        suggested_intent=suggested_intent,
        suggested_by=actor,
    )


def collect(
    session_factory: SessionFactory,
    tracker_engine: sa.engine.Engine,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    batch: int = BATCH,
) -> CollectResult:
    """Read new tenant messages from the tracker store and put the uncertain ones in the inbox.

    Args:
        session_factory: The housing database.
        tracker_engine: Rasa's SQL tracker store.
        threshold: Messages whose best intent scored below this are collected.
        batch: Most events read per round (the run continues until it has caught up).

    Returns:
        How many messages were read and how many were added (or were there already).
    """
    if not sa.inspect(tracker_engine).has_table("events"):
        return CollectResult(0, 0, 0)
    read = added = already = 0
    while True:
        with session_scope(session_factory) as session:
            position = nlu_inbox.cursor_position(session=session, source=SOURCE)
        statement = (
            sa.select(_EVENTS.c.id, _EVENTS.c.sender_id, _EVENTS.c.timestamp, _EVENTS.c.data)
            .where(_EVENTS.c.type_name == "user", _EVENTS.c.id > position)
            .order_by(_EVENTS.c.id)
            .limit(batch)
        )
        with tracker_engine.connect() as connection:
            rows = connection.execute(statement).all()
        if not rows:
            return CollectResult(read, added, already)
        with session_scope(session_factory) as session:
            for row in rows:
                read += 1
                try:
                    event = json.loads(row.data or "{}")
                except json.JSONDecodeError:
                    continue
                text = event.get("text") if isinstance(event, dict) else None
                parse_data = event.get("parse_data") if isinstance(event, dict) else None
                if not _worth_keeping(text) or not isinstance(parse_data, Mapping):
                    continue
                parse = read_parse(parse_data)
                reason = reason_for(parse, threshold)
                if reason is None:
                    continue
                try:
                    _item, created = store_message(
                        session,
                        sender_id=str(row.sender_id),
                        timestamp=float(row.timestamp if row.timestamp is not None else event.get("timestamp", 0)),
                        text=str(text),
                        parse=parse,
                        reason=reason,
                    )
                except HousingError:
                    continue  # a message the inbox cannot hold (too long once redacted): skip it, keep going
                added += int(created)
                already += int(not created)
            nlu_inbox.advance_cursor(session=session, source=SOURCE, position=int(rows[-1].id))
        if len(rows) < batch:
            return CollectResult(read, added, already)


# --- trainers' decisions ---


class InboxError(Exception):
    """Raised when a trainer's decision cannot be carried out; the message says why in plain words."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one inbox item."""

    item_id: int
    done: bool
    message: str
    diff: str = ""


def _snapshot(session_factory: SessionFactory, item_id: int) -> tuple[str, str | None, InboxStatus]:
    with session_scope(session_factory) as session:
        item = nlu_inbox.get(session=session, item_id=item_id)
        if item is None:
            raise InboxError(f"Inbox item {item_id} does not exist.")
        label = item.suggested_intent or item.predicted_intent
        return str(item.text), (str(label) if label else None), InboxStatus(item.status)


def _file_example(data: NluData, intent: str, text: str) -> tuple[str, str]:
    """Write the example; return (what happened, diff). An example already filed under `intent` is fine."""
    try:
        edit = data.add(intent, fill_placeholders(text))
    except AlreadyPresent:
        return f"{intent} already had this example; nothing to add.", ""
    return f"Added to {intent} in {edit.path.name} (line {edit.line}).", edit.diff


def decide(
    session_factory: SessionFactory,
    data: NluData,
    item_id: int,
    *,
    action: str,
    actor: str,
    intent: str | None = None,
) -> Outcome:
    """Confirm, relabel or discard one inbox item, writing the example into the training data when it is kept.

    Confirming files the message under the intent shown for it (a member of staff's correction if there is one,
    else the model's guess); relabelling files it under `intent`; discarding only closes the item. The training
    data is written before the item is closed, so a failure leaves the item in the inbox to try again.

    Args:
        session_factory: The housing database.
        data: The training data to write to.
        item_id: The item.
        action: "confirm", "relabel" or "discard".
        actor: Who decided ("staff:tess").
        intent: The intent to relabel to.

    Returns:
        The outcome, with the diff of the training data file when one was written.
    """
    try:
        text, shown, status = _snapshot(session_factory, item_id)
        if status is not InboxStatus.NEW:
            return Outcome(item_id, False, f"Item {item_id} was already {status.value}.")
        if action == "discard":
            message, diff, label, target = "Discarded.", "", None, InboxStatus.DISCARDED
        elif action in ("confirm", "relabel"):
            label = shown if action == "confirm" else (intent or "").strip()
            if not label or label == FALLBACK:
                return Outcome(item_id, False, "The assistant had no intent for this message: relabel it instead.")
            if action == "relabel" and label not in data.examples():
                return Outcome(item_id, False, f"There is no intent called {label!r} in the training data.")
            message, diff = _file_example(data, label, text)
            target = InboxStatus.CONFIRMED if action == "confirm" or label == shown else InboxStatus.RELABELLED
        else:
            return Outcome(item_id, False, f"Unknown action {action!r}: confirm, relabel or discard.")
        with session_scope(session_factory) as session:
            nlu_inbox.update(session=session, item_id=item_id, status=target, label=label, actor=actor)
    except (InboxError, TrainingDataError, HousingError) as error:
        return Outcome(item_id, False, str(error))
    return Outcome(item_id, True, message, diff)


def decide_many(
    session_factory: SessionFactory,
    data: NluData,
    item_ids: list[int],
    *,
    action: str,
    actor: str,
    intent: str | None = None,
) -> list[Outcome]:
    """Decide several items the same way, one at a time; each succeeds or fails on its own."""
    return [decide(session_factory, data, item_id, action=action, actor=actor, intent=intent) for item_id in item_ids]


def record_correction(
    session_factory: SessionFactory,
    data: NluData,
    *,
    sender_id: str,
    event: Mapping[str, Any],
    intent: str,
    actor: str,
) -> str:
    """Put a tenant message in the inbox because a member of staff says it meant `intent`.

    Args:
        session_factory: The housing database.
        data: The training data (to check the intent exists).
        sender_id: The conversation.
        event: The tenant's "user" event, as Rasa's HTTP API returns it.
        intent: What the message meant.
        actor: Who said so.

    Returns:
        A sentence for the member of staff.

    Raises:
        InboxError: If the event is not a tenant message, or the intent is unknown.
    """
    if event.get("event") != "user" or not _worth_keeping(event.get("text")):
        raise InboxError("Only a tenant's own words can be sent to the trainers.")
    if intent not in data.examples():
        raise InboxError(f"There is no intent called {intent!r}.")
    timestamp = event.get("timestamp")
    if isinstance(timestamp, bool) or not isinstance(timestamp, (int, float)):
        raise InboxError("That message has no time, so it cannot be told apart from others.")
    found = event.get("parse_data")
    parse = read_parse(found if isinstance(found, Mapping) else {})
    try:
        with session_scope(session_factory) as session:
            item, created = store_message(
                session,
                sender_id=sender_id,
                timestamp=float(timestamp),
                text=str(event["text"]),
                parse=parse,
                reason=InboxReason.CORRECTED,
                suggested_intent=intent,
                actor=actor,
            )
            if not created:
                if item.status is not InboxStatus.NEW:
                    return f"A trainer has already {item.status.value} this message."
                nlu_inbox.update(session=session, item_id=item.id, suggested_intent=intent, actor=actor)
    except HousingError as error:
        raise InboxError(str(error)) from error
    return f"Sent to the trainers' inbox as {intent}. Thank you."
