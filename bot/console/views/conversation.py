"""A conversation: transcript, the tenant's record, the reply box, notes, and claiming and finishing it.

The transcript is read from the Rasa HTTP API (see `rasa_api` for why) and refreshed by console.js. Opening the
page is audited ("console.viewed_conversation", and "console.viewed_tenant" when the record is shown); the
refreshes are not, so the audit log says who looked at what without thousands of polling entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sanic import HTTPResponse, Request, Sanic
from sqlalchemy.orm import Session

from bot.console import records, transcript, workflow
from bot.console.permissions import Capability
from bot.console.rasa_api import RasaUnavailable
from bot.console.replies import ReplyPlan, ReplyRoute, plan_reply
from bot.console.state import ConsoleState, Staff
from bot.console.views.training_data import intent_names
from bot.console.web import console, guard, new_form_id, redirect, render, render_fragment, signed_in
from bot.housing import audit
from bot.housing.enums import HandoffStatus
from bot.housing.errors import InvalidReference, NotFound
from bot.housing.errors import TenancyNotFound as _TenancyGone


class PageNotFound(Exception):
    """Raised when a route names a conversation, repair or file that does not exist (the app answers 404)."""


@dataclass
class TrackerView:
    """What the console read from Rasa about a conversation."""

    lines: list[transcript.TranscriptLine] = field(default_factory=list)
    paused: bool = False
    slots: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    events: int = 0
    latest: float | None = None


async def read_tracker(state: ConsoleState, sender_id: str) -> TrackerView:
    """Return the conversation's transcript from Rasa, or a view saying why it cannot be shown."""
    try:
        data = await state.rasa.tracker(sender_id)
    except RasaUnavailable as error:
        return TrackerView(error=f"The conversation history cannot be shown: {error}.")
    events = data.get("events") if isinstance(data.get("events"), list) else []
    slots = data.get("slots") if isinstance(data.get("slots"), dict) else {}
    latest = data.get("latest_event_time")
    return TrackerView(
        lines=transcript.transcript_lines(events or []),
        paused=transcript.is_paused(data),
        slots=dict(slots or {}),
        events=len(events or []),
        latest=latest if isinstance(latest, (int, float)) else None,
    )


async def load_handoff(state: ConsoleState, reference: str) -> workflow.HandoffView:
    """Return the handoff named in a URL.

    Raises:
        PageNotFound: If there is no such handoff (or the reference is malformed).
    """
    try:
        return await workflow.get_handoff(state, reference)
    except (NotFound, InvalidReference):
        raise PageNotFound(reference) from None


def may_see_record(staff: Staff, handoff: workflow.HandoffView) -> bool:
    """Return whether `staff` may see the tenant's record beside this conversation."""
    if staff.can(Capability.VIEW_ANY_RECORD):
        return True
    return staff.can(Capability.VIEW_HELD_RECORD) and handoff.held_by(staff.username)


def may_change_record(staff: Staff, handoff: workflow.HandoffView) -> bool:
    """Return whether `staff` may change the tenant's records through this conversation (only its holder)."""
    return staff.can(Capability.CHANGE_RECORDS) and handoff.held_by(staff.username)


def record_hidden_reason(staff: Staff, handoff: workflow.HandoffView) -> str:
    """Return why the tenant's record is not shown, in words for staff."""
    if not staff.can(Capability.VIEW_HELD_RECORD):
        return "Tenant records are not shown to your role."
    if handoff.status.value == "claimed":
        return f"{handoff.holder_name or handoff.holder} is handling this conversation."
    return "Claim the conversation to see the tenant's record."


def find_match(session: Session, handoff: workflow.HandoffView, slots: dict[str, Any]) -> records.TenancyMatch | None:
    """Return the tenancy the conversation is about (see `records.find_tenancy`)."""
    verified = slots.get("verified_tenancy") if slots.get("verified") is True else None
    return records.find_tenancy(
        session,
        linked_tenancy_id=handoff.linked_tenancy_id,
        channel=handoff.channel,
        address=handoff.address or (str(slots["sender_address"]) if slots.get("sender_address") else None),
        verified_reference=str(verified) if verified else None,
        now=workflow.utc_now(),
    )


@dataclass
class PageData:
    """Everything read from the database for the conversation page."""

    record: records.TenantRecord | None = None
    plan: ReplyPlan | None = None
    history: list[workflow.HistoryItem] = field(default_factory=list)


async def conversation_page(
    request: Request,
    reference: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    audited: bool = True,
) -> HTTPResponse:
    """Render the conversation page, with form errors and typed values when a form was refused.

    Raises:
        PageNotFound: If there is no such handoff.
    """
    state = console(request)
    staff = signed_in(request)
    handoff = await load_handoff(state, reference)
    tracker = await read_tracker(state, handoff.sender_id)
    show_record = may_see_record(staff, handoff)
    holder = handoff.held_by(staff.username)
    template = state.config.whatsapp_template

    def read(session: Session) -> PageData:
        data = PageData()
        if show_record:
            match = find_match(session, handoff, tracker.slots)
            if match is not None:
                try:
                    data.record = records.load_record(session, match, now=workflow.utc_now())
                except _TenancyGone:
                    data.record = None
        if holder and handoff.address is not None:
            data.plan = plan_reply(
                session, channel=handoff.channel, address=handoff.address, template=template, now=workflow.utc_now()
            )
        if audited:
            audit.record(session=session, actor=staff.actor, action="console.viewed_conversation", subject=reference)
            if data.record is not None:
                audit.record(
                    session=session,
                    actor=staff.actor,
                    action="console.viewed_tenant",
                    subject=data.record.match.reference,
                    details={"handoff": reference, "basis": data.record.match.basis},
                )
        return data

    data = await workflow.in_session(state, read)
    data.history = await workflow.history(state, reference)
    return render(
        request,
        "conversation.html",
        status=status,
        intents=await intent_names(request),
        active="queue",
        handoff=handoff,
        tracker=tracker,
        record=data.record,
        show_record=show_record,
        record_hidden=None if show_record else record_hidden_reason(staff, handoff),
        can_change=may_change_record(staff, handoff),
        can_work=staff.can(Capability.WORK_CONVERSATIONS),
        can_take_over=staff.can(Capability.TAKE_OVER) and handoff.status is HandoffStatus.CLAIMED and not holder,
        holder=holder,
        plan=data.plan,
        routes=ReplyRoute,
        history=data.history,
        reply_id=new_form_id(),
        errors=errors or {},
        values=values or {},
        priorities=records.PRIORITIES,
        poll_seconds=state.config.poll_seconds,
    )


def _fingerprint(handoff: workflow.HandoffView, tracker: TrackerView) -> Iterator[object]:
    yield handoff.status.value, handoff.holder, tracker.events, tracker.latest, tracker.paused, tracker.error


@guard(Capability.VIEW_TRANSCRIPT)
async def conversation(request: Request, reference: str) -> HTTPResponse:
    """Show a conversation."""
    return await conversation_page(request, reference)


@guard(Capability.VIEW_TRANSCRIPT, fragment=True)
async def conversation_live(request: Request, reference: str) -> HTTPResponse:
    """Return the transcript for console.js, or 304 when nothing changed."""
    state = console(request)
    handoff = await load_handoff(state, reference)
    tracker = await read_tracker(state, handoff.sender_id)
    return render_fragment(
        request,
        "_transcript.html",
        _fingerprint(handoff, tracker),
        handoff=handoff,
        tracker=tracker,
        intents=await intent_names(request),
    )


def _form(request: Request) -> Any:
    return request.form or {}


@guard(Capability.WORK_CONVERSATIONS)
async def claim(request: Request, reference: str) -> HTTPResponse:
    """Claim a waiting conversation and pause the assistant in it."""
    state = console(request)
    staff = signed_in(request)
    await load_handoff(state, reference)
    try:
        await workflow.claim(state, reference, staff)
    except workflow.ActionFailed as failed:
        staff.session.flash("error", str(failed))
        return redirect("/queue")
    staff.session.flash("success", f"You are handling {reference}. The assistant is paused until you finish.")
    return redirect(f"/conversations/{reference}")


@guard(Capability.WORK_CONVERSATIONS)
async def release(request: Request, reference: str) -> HTTPResponse:
    """Put a conversation back in the queue."""
    state = console(request)
    staff = signed_in(request)
    await load_handoff(state, reference)
    try:
        await workflow.release(state, reference, staff)
    except workflow.ActionFailed as failed:
        staff.session.flash("error", str(failed))
        return redirect(f"/conversations/{reference}")
    staff.session.flash("success", f"{reference} is back in the queue; the assistant answers while it waits.")
    return redirect("/queue")


@guard(Capability.TAKE_OVER)
async def take_over(request: Request, reference: str) -> HTTPResponse:
    """Take a conversation from the colleague holding it; the form names who that was when the page was read."""
    state = console(request)
    staff = signed_in(request)
    handoff = await load_handoff(state, reference)
    seen_holder = str(_form(request).get("holder") or "")
    try:
        await workflow.take_over(state, reference, staff, seen_holder)
    except workflow.ActionFailed as failed:
        staff.session.flash("error", str(failed))
        return redirect(f"/conversations/{reference}")
    who = handoff.holder_name or seen_holder
    staff.session.flash("success", f"You are handling {reference}, taken over from {who}. The assistant stays paused.")
    return redirect(f"/conversations/{reference}")


@guard(Capability.WORK_CONVERSATIONS)
async def reply(request: Request, reference: str) -> HTTPResponse:
    """Queue a reply to the tenant."""
    state = console(request)
    staff = signed_in(request)
    await load_handoff(state, reference)
    form = _form(request)
    body = str(form.get("body") or "")
    try:
        sent = await workflow.send_reply(
            state,
            reference,
            staff,
            body=body,
            route=str(form.get("route") or ""),
            reply_id=str(form.get("reply_id") or ""),
        )
    except workflow.ActionFailed as failed:
        return await conversation_page(
            request, reference, errors={"body": str(failed)}, values={"body": body}, status=422, audited=False
        )
    how = workflow.CHANNEL_LABELS[sent.queued.channel]
    if sent.queued.route is ReplyRoute.TEMPLATE:
        how = "the approved WhatsApp template"
    if sent.in_transcript:
        staff.session.flash("success", f"Reply queued to send by {how}.")
    else:
        staff.session.flash(
            "warning", f"Reply queued to send by {how}, but it could not be added to the transcript (Rasa is down)."
        )
    return redirect(f"/conversations/{reference}#reply")


@guard(Capability.WORK_CONVERSATIONS)
async def note(request: Request, reference: str) -> HTTPResponse:
    """Add an internal note."""
    state = console(request)
    staff = signed_in(request)
    await load_handoff(state, reference)
    text = str(_form(request).get("note") or "")
    try:
        await workflow.add_note(state, reference, staff, text)
    except workflow.ActionFailed as failed:
        return await conversation_page(
            request, reference, errors={"note": str(failed)}, values={"note": text}, status=422, audited=False
        )
    staff.session.flash("success", "Note added.")
    return redirect(f"/conversations/{reference}#notes")


async def _finish(request: Request, reference: str, *, handed_back: bool) -> HTTPResponse:
    state = console(request)
    staff = signed_in(request)
    await load_handoff(state, reference)
    field_name = "handback_note" if handed_back else "outcome"
    text = str(_form(request).get(field_name) or "")
    try:
        await workflow.finish(state, reference, staff, note=text, handed_back=handed_back)
    except workflow.ActionFailed as failed:
        return await conversation_page(
            request, reference, errors={field_name: str(failed)}, values={field_name: text}, status=422, audited=False
        )
    done = "handed back to the assistant" if handed_back else "closed"
    staff.session.flash("success", f"{reference} {done}. The assistant answers the tenant again.")
    return redirect("/queue")


@guard(Capability.WORK_CONVERSATIONS)
async def hand_back(request: Request, reference: str) -> HTTPResponse:
    """Hand the conversation back to the assistant and close the handoff."""
    return await _finish(request, reference, handed_back=True)


@guard(Capability.WORK_CONVERSATIONS)
async def close(request: Request, reference: str) -> HTTPResponse:
    """Close the conversation with an outcome; the assistant answers any later message."""
    return await _finish(request, reference, handed_back=False)


def register(app: Sanic) -> None:
    """Add the conversation routes."""
    base = "/conversations/<reference>"
    app.add_route(conversation, base, methods=["GET"], name="conversation")
    app.add_route(conversation_live, f"{base}/live", methods=["GET"], name="conversation_live")
    app.add_route(claim, f"{base}/claim", methods=["POST"], name="claim")
    app.add_route(release, f"{base}/release", methods=["POST"], name="release")
    app.add_route(take_over, f"{base}/take-over", methods=["POST"], name="take_over")
    app.add_route(reply, f"{base}/reply", methods=["POST"], name="reply")
    app.add_route(note, f"{base}/notes", methods=["POST"], name="note")
    app.add_route(hand_back, f"{base}/hand-back", methods=["POST"], name="hand_back")
    app.add_route(close, f"{base}/close", methods=["POST"], name="close")
