"""What staff do with a conversation, in the right order against the housing database and the Rasa server.

Claiming is the housing service's atomic claim followed by pausing the assistant; if Rasa cannot be paused the
claim is undone, so a conversation is never held by a person while the assistant still answers. Handing back or
closing resumes the assistant first and closes the handoff only once it has resumed, so a tenant is never left
with a silent assistant and nobody holding their conversation. Database work runs in worker threads so one slow
query never stalls other staff's pages.
"""

from __future__ import annotations

import asyncio
import builtins
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bot.console.rasa_api import RasaUnavailable
from bot.console.replies import (
    QueuedReply,
    ReplyRefused,
    ReplyRoute,
    address_of,
    plan_reply,
    queue_reply,
    reply_key,
)
from bot.console.state import ConsoleState, Staff
from bot.housing import audit, handoffs
from bot.housing.db import session_scope
from bot.housing.enums import Channel, HandoffReason, HandoffStatus, Urgency
from bot.housing.errors import (
    AlreadyClaimed,
    HousingError,
    InvalidInput,
    InvalidStatusTransition,
    StaffUserNotFound,
)
from bot.housing.validation import clean_text

T = TypeVar("T")

MAX_NOTE_LENGTH = 2000
NOTE_ACTION = "console.note"

REASON_LABELS = {
    HandoffReason.EMERGENCY: "Emergency",
    HandoffReason.WELFARE: "Welfare concern",
    HandoffReason.BEREAVEMENT: "Bereavement",
    HandoffReason.REQUEST_HUMAN: "Asked for a person",
    HandoffReason.FALLBACK: "Assistant did not understand twice",
    HandoffReason.ARREARS_CALLBACK: "Arrears callback",
}
CHANNEL_LABELS = {Channel.SMS: "SMS", Channel.WHATSAPP: "WhatsApp", Channel.TELEGRAM: "Telegram"}


class ActionFailed(Exception):
    """Raised when a console action cannot be done; the message says why, in words for staff."""


@dataclass(frozen=True)
class HandoffView:
    """A handoff as the console shows it, detached from the database."""

    reference: str
    sender_id: str
    channel: Channel
    reason: HandoffReason
    urgency: Urgency
    status: HandoffStatus
    summary: str | None
    requested_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None
    holder: str | None
    holder_name: str | None
    linked_tenancy_id: int | None
    closing_note: str | None

    @property
    def reason_label(self) -> str:
        """Return the reason in words."""
        return REASON_LABELS[self.reason]

    @property
    def channel_label(self) -> str:
        """Return the channel's name as staff know it."""
        return CHANNEL_LABELS[self.channel]

    @property
    def address(self) -> str | None:
        """Return the tenant's number or Telegram id, read from the sender id."""
        return address_of(self.sender_id, self.channel)

    def held_by(self, username: str) -> bool:
        """Return whether `username` holds this conversation now."""
        return self.status is HandoffStatus.CLAIMED and self.holder == username


@dataclass(frozen=True)
class QueueView:
    """The queue page: waiting conversations in order, and those staff hold."""

    waiting: tuple[HandoffView, ...]
    mine: tuple[HandoffView, ...]
    colleagues: tuple[HandoffView, ...]


@dataclass(frozen=True)
class HistoryItem:
    """An entry of a conversation's history: a note, a claim, a reply..."""

    at: datetime
    actor: str
    action: str
    text: str | None


def view_of(handoff: Any) -> HandoffView:
    """Copy a handoff row into a `HandoffView` (call inside its session)."""
    holder = handoff.claimed_by
    return HandoffView(
        reference=str(handoff.reference),
        sender_id=str(handoff.sender_id),
        channel=Channel(handoff.channel),
        reason=HandoffReason(handoff.reason),
        urgency=Urgency(handoff.urgency),
        status=HandoffStatus(handoff.status),
        summary=handoff.summary,
        requested_at=handoff.requested_at,
        claimed_at=handoff.claimed_at,
        closed_at=handoff.closed_at,
        holder=str(holder.username) if holder is not None else None,
        holder_name=str(holder.display_name) if holder is not None else None,
        linked_tenancy_id=handoff.tenancy_id,
        closing_note=handoff.closing_note,
    )


def utc_now() -> datetime:
    """Return the current instant in UTC."""
    return datetime.now(timezone.utc)


async def in_session(state: ConsoleState, work: Callable[[Session], T]) -> T:
    """Run `work` in one committed transaction on a worker thread and return its result."""

    def run() -> T:
        with session_scope(state.session_factory) as session:
            return work(session)

    return await asyncio.to_thread(run)


async def get_handoff(state: ConsoleState, reference: str) -> HandoffView:
    """Return a handoff by reference.

    Raises:
        InvalidReference, HandoffNotFound: For a bad reference.
    """
    return await in_session(state, lambda session: view_of(handoffs.get_or_raise(session=session, reference=reference)))


async def queue(state: ConsoleState, username: str) -> QueueView:
    """Return the queue: waiting conversations most urgent first, then those held by `username` and colleagues."""

    def read(session: Session) -> QueueView:
        waiting = tuple(
            view_of(item) for item in handoffs.list(session=session, status=HandoffStatus.WAITING, limit=200)
        )
        held = [view_of(item) for item in handoffs.list(session=session, status=HandoffStatus.CLAIMED, limit=200)]
        return QueueView(
            waiting=waiting,
            mine=tuple(item for item in held if item.holder == username),
            colleagues=tuple(item for item in held if item.holder != username),
        )

    return await in_session(state, read)


async def claim(state: ConsoleState, reference: str, staff: Staff) -> HandoffView:
    """Take a waiting conversation and pause the assistant in it.

    Raises:
        ActionFailed: If someone else took it first, or the assistant could not be paused (the claim is undone).
        InvalidReference, HandoffNotFound: For a bad reference.
    """
    try:
        taken = await in_session(
            state,
            lambda session: view_of(
                handoffs.claim(session=session, reference=reference, staff_username=staff.username, now=utc_now())
            ),
        )
    except AlreadyClaimed:
        current = await get_handoff(state, reference)
        if current.status is HandoffStatus.CLAIMED:
            who = "you" if current.holder == staff.username else current.holder_name or current.holder
            raise ActionFailed(f"{reference} is already being handled by {who}.") from None
        raise ActionFailed(f"{reference} is closed: the tenant no longer needs a person.") from None
    try:
        await state.rasa.pause(taken.sender_id)
    except RasaUnavailable as error:
        await in_session(
            state,
            lambda session: handoffs.release(
                session=session, reference=reference, staff_username=staff.username, now=utc_now()
            ),
        )
        raise ActionFailed(
            f"The assistant could not be paused ({error}), so {reference} was put back in the queue. Try again "
            "in a minute; if it keeps happening, tell a supervisor."
        ) from None
    return taken


async def take_over(state: ConsoleState, reference: str, staff: Staff, from_username: str) -> HandoffView:
    """Take a conversation a colleague holds (a supervisor's move when a claim has gone stale).

    The assistant stays paused: the conversation passes from one person to another.

    Raises:
        ActionFailed: If it is yours already, or the colleague no longer holds it.
    """
    if from_username == staff.username:
        raise ActionFailed(f"You are already handling {reference}.")
    try:
        return await in_session(
            state,
            lambda session: view_of(
                handoffs.take_over(
                    session=session,
                    reference=reference,
                    staff_username=staff.username,
                    from_username=from_username,
                    now=utc_now(),
                )
            ),
        )
    except AlreadyClaimed:
        raise ActionFailed(
            f"{reference} changed hands or closed before you took it over; look at it again before acting."
        ) from None
    except (StaffUserNotFound, InvalidInput):  # the form named nobody who could hold it
        raise ActionFailed(f"{reference} changed hands before you took it over; look at it again.") from None


async def release(state: ConsoleState, reference: str, staff: Staff) -> HandoffView:
    """Put a conversation you hold back in the queue; the assistant answers again while it waits.

    Raises:
        ActionFailed: If you do not hold it, or the assistant could not be resumed (you keep it).
    """
    current = await get_handoff(state, reference)
    if not current.held_by(staff.username):
        raise ActionFailed(f"You are not handling {reference}.")
    try:
        await state.rasa.resume(current.sender_id)
    except RasaUnavailable as error:
        raise ActionFailed(f"The assistant could not be resumed ({error}); {reference} stays with you.") from None
    try:
        return await in_session(
            state,
            lambda session: view_of(
                handoffs.release(session=session, reference=reference, staff_username=staff.username, now=utc_now())
            ),
        )
    except AlreadyClaimed:
        raise ActionFailed(f"You are not handling {reference}.") from None


async def finish(
    state: ConsoleState, reference: str, staff: Staff, *, note: str | None, handed_back: bool
) -> HandoffView:
    """Hand a conversation back to the assistant, or close it with an outcome; the assistant resumes either way.

    Args:
        state: The console.
        reference: The handoff.
        staff: Who is finishing it (they must hold it).
        note: What was done; required when closing.
        handed_back: True to hand back to the assistant, False to close with an outcome.

    Raises:
        ActionFailed: If you do not hold it, the note is missing or too long, or the assistant could not be resumed.
    """
    try:
        words = clean_text(note, field="note", max_length=MAX_NOTE_LENGTH, required=not handed_back)
    except HousingError:
        if handed_back:
            raise ActionFailed(f"Keep the note under {MAX_NOTE_LENGTH} characters.") from None
        raise ActionFailed(f"Write what was done (up to {MAX_NOTE_LENGTH} characters) before closing.") from None
    current = await get_handoff(state, reference)
    if not current.held_by(staff.username):
        raise ActionFailed(f"You are not handling {reference}.")
    try:
        await state.rasa.resume(current.sender_id)
    except RasaUnavailable as error:
        raise ActionFailed(f"The assistant could not be resumed ({error}); {reference} stays with you.") from None
    closing = words or "Handed back to the assistant."

    def close(session: Session) -> HandoffView:
        closed = handoffs.close(
            session=session, reference=reference, staff_username=staff.username, note=closing, now=utc_now()
        )
        audit.record(
            session=session,
            actor=staff.actor,
            action="console.handed_back" if handed_back else "console.closed",
            subject=reference,
            now=utc_now(),
        )
        return view_of(closed)

    try:
        return await in_session(state, close)
    except (AlreadyClaimed, InvalidStatusTransition):
        raise ActionFailed(f"{reference} changed while closing; reload the page.") from None


@dataclass(frozen=True)
class SentReply:
    """A reply queued for the tenant, and whether its copy reached the transcript."""

    queued: QueuedReply
    in_transcript: bool


async def send_reply(
    state: ConsoleState, reference: str, staff: Staff, *, body: str, route: str, reply_id: str
) -> SentReply:
    """Queue a reply to the tenant on their channel (or the fallback chosen) and add it to the transcript.

    A reply that is queued but could not be copied into Rasa's transcript (Rasa down) is still sent; the result
    says so, so staff are told rather than tempted to send it again.

    Raises:
        ActionFailed: If you do not hold the conversation or the reply cannot be queued.
    """
    try:
        chosen = ReplyRoute(route or ReplyRoute.CHANNEL.value)
    except ValueError:
        raise ActionFailed("Choose how to send the reply.") from None
    try:
        key = reply_key(reference, reply_id)
    except ReplyRefused as error:
        raise ActionFailed(str(error)) from None
    template = state.config.whatsapp_template

    def queue_it(session: Session) -> tuple[QueuedReply, HandoffView]:
        handoff = view_of(handoffs.get_or_raise(session=session, reference=reference))
        if not handoff.held_by(staff.username):
            raise ActionFailed(f"You are not handling {reference}, so you cannot reply.")
        if handoff.address is None:
            raise ActionFailed("The tenant's address cannot be read from this conversation.")
        at = utc_now()
        plan = plan_reply(session, channel=handoff.channel, address=handoff.address, template=template, now=at)
        queued = queue_reply(
            session,
            plan=plan,
            route=chosen,
            body=body,
            key=key,
            handoff_reference=reference,
            actor=staff.actor,
            template=template,
            now=at,
        )
        return queued, handoff

    try:
        queued, handoff = await in_session(state, queue_it)
    except ReplyRefused as error:
        raise ActionFailed(str(error)) from None
    if not queued.fresh:
        return SentReply(queued, in_transcript=True)
    try:
        await state.rasa.record_staff_message(
            handoff.sender_id,
            body.strip(),
            username=staff.username,
            name=staff.display_name,
            channel=queued.channel.value,
            outbox_id=queued.outbox_id,
        )
    except RasaUnavailable:
        return SentReply(queued, in_transcript=False)
    return SentReply(queued, in_transcript=True)


async def add_note(state: ConsoleState, reference: str, staff: Staff, text: str) -> None:
    """Add an internal note to a conversation (never sent to the tenant).

    Raises:
        ActionFailed: If the note is blank or too long.
        InvalidReference, HandoffNotFound: For a bad reference.
    """
    try:
        words = clean_text(text, field="note", max_length=MAX_NOTE_LENGTH)
    except HousingError:
        raise ActionFailed(f"Write a note of up to {MAX_NOTE_LENGTH} characters.") from None

    def note(session: Session) -> None:
        handoffs.get_or_raise(session=session, reference=reference)
        audit.record(session=session, actor=staff.actor, action=NOTE_ACTION, subject=reference, details={"text": words})

    await in_session(state, note)


HISTORY_LABELS = {
    "handoff.created": "Queued for a person",
    "handoff.claimed": "Claimed",
    "handoff.released": "Put back in the queue",
    "handoff.closed": "Closed",
    "handoff.updated": "Details changed",
    "console.reply_queued": "Reply queued",
    "console.handed_back": "Handed back to the assistant",
    "console.closed": "Closed with an outcome",
    NOTE_ACTION: "Note",
}


async def history(state: ConsoleState, reference: str) -> builtins.list[HistoryItem]:
    """Return a conversation's notes and events, oldest first (views are left out)."""

    def read(session: Session) -> builtins.list[HistoryItem]:
        entries = audit.list(session=session, subject=reference, limit=300)
        items = []
        for entry in reversed(entries):
            label = HISTORY_LABELS.get(str(entry.action))
            if label is None:
                continue
            details = entry.details if isinstance(entry.details, dict) else {}
            text = details.get("text") if entry.action == NOTE_ACTION else None
            items.append(HistoryItem(at=entry.at, actor=str(entry.actor), action=label, text=text))
        return items

    return await in_session(state, read)
