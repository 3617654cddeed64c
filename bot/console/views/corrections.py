"""Staff say what a tenant's message really meant: "this message meant <intent>" on a transcript line.

The message is read again from Rasa (never taken from the form), redacted, and put in the trainers' NLU inbox as a
corrected item; a trainer still decides whether it becomes training data.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sanic import HTTPResponse, Request, Sanic

from bot.console.permissions import Capability
from bot.console.rasa_api import RasaUnavailable
from bot.console.views.conversation import load_handoff
from bot.console.views.training_data import training_data
from bot.console.web import console, guard, redirect, signed_in
from bot.training_data import inbox

MAX_EVENT_INDEX = 1_000_000


def _index(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number < MAX_EVENT_INDEX else None


@guard(Capability.CORRECT_INTENTS)
async def correct(request: Request, reference: str) -> HTTPResponse:
    """Send a tenant message to the trainers' inbox with the intent a member of staff says it meant."""
    state = console(request)
    staff = signed_in(request)
    handoff = await load_handoff(state, reference)
    form = request.form or {}
    index = _index(form.get("key"))
    intent = str(form.get("intent") or "").strip()
    back = f"/conversations/{reference}"
    if index is None or not intent:
        staff.session.flash("error", "Choose what the message meant, then press Send to trainers.")
        return redirect(back)
    try:
        tracker = await state.rasa.tracker(handoff.sender_id)
    except RasaUnavailable as error:
        staff.session.flash("error", f"The conversation could not be read just now ({error}); nothing was sent.")
        return redirect(back)
    found = tracker.get("events")
    events: list[Any] = found if isinstance(found, list) else []
    event = events[index] if index < len(events) and isinstance(events[index], dict) else {}
    try:
        message = await asyncio.to_thread(
            inbox.record_correction,
            state.session_factory,
            training_data(request),
            sender_id=handoff.sender_id,
            event=event,
            intent=intent,
            actor=staff.actor,
        )
    except inbox.InboxError as error:
        staff.session.flash("error", str(error))
        return redirect(back)
    staff.session.flash("success", message)
    return redirect(f"{back}#line-{index}")


def register(app: Sanic) -> None:
    """Add the correction route."""
    app.add_route(correct, "/conversations/<reference>/corrections", methods=["POST"], name="correct_intent")
