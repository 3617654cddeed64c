"""Changes to the tenant's records made from a conversation: repairs, appointments and complaints; and photos.

Only the member of staff holding the conversation may change records through it, and only on the tenancy the
conversation is about: a repair of another tenancy is treated as not existing. Each change goes through the
housing service with the member of staff as the actor, so the audit log names them.
"""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path
from typing import Any

from sanic import HTTPResponse, Request, Sanic, response
from sqlalchemy.orm import Session

from bot.console import records, workflow
from bot.console.permissions import Capability
from bot.console.state import ConsoleState
from bot.console.views.conversation import (
    PageNotFound,
    conversation_page,
    find_match,
    load_handoff,
    may_change_record,
    may_see_record,
    read_tracker,
)
from bot.console.web import console, error_page, guard, redirect, render, signed_in
from bot.housing import attachments, complaints, repairs
from bot.housing.enums import Priority, RepairStatus
from bot.housing.errors import Conflict, HousingError, InvalidInput, InvalidReference, NotFound
from bot.settings import PROJECT_ROOT

REPAIR_FIELDS = {
    "item": ("What needs repairing", 80),
    "location": ("Where in the home", 80),
    "description": ("What is wrong", 4000),
}
COMPLAINT_FIELDS = {
    "what_happened": ("What happened", 4000),
    "desired_outcome": ("What the tenant wants to happen", 4000),
}


class NotHolder(Exception):
    """Raised when someone other than the conversation's holder tries to change records through it."""


async def _tenancy(request: Request, reference: str) -> tuple[workflow.HandoffView, records.TenancyMatch | None]:
    """Return the conversation and its tenancy, for a change by its holder.

    Raises:
        PageNotFound: For an unknown conversation.
        NotHolder: If the member of staff does not hold it.
    """
    state = console(request)
    staff = signed_in(request)
    handoff = await load_handoff(state, reference)
    if not may_change_record(staff, handoff):
        raise NotHolder(reference)
    tracker = await read_tracker(state, handoff.sender_id)
    match = await workflow.in_session(state, lambda session: find_match(session, handoff, tracker.slots))
    return handoff, match


def _not_holder(request: Request) -> HTTPResponse:
    return error_page(
        request, 403, "Not allowed", "Only the member of staff handling this conversation can change the records."
    )


def _fields(form: Any, names: dict[str, tuple[str, int]], prefix: str) -> tuple[dict[str, str], dict[str, str]]:
    values = {f"{prefix}_{name}": str(form.get(name) or "").strip() for name in names}
    errors = {}
    for name, (label, limit) in names.items():
        value = values[f"{prefix}_{name}"]
        if not value:
            errors[f"{prefix}_{name}"] = f"{label}: this cannot be blank."
        elif len(value) > limit:
            errors[f"{prefix}_{name}"] = f"{label}: at most {limit} characters, not {len(value)}."
    return values, errors


def _no_tenancy(request: Request, reference: str) -> HTTPResponse:
    signed_in(request).session.flash("error", "No tenancy is linked to this conversation, so nothing was changed.")
    return redirect(f"/conversations/{reference}")


@guard(Capability.CHANGE_RECORDS)
async def create_repair(request: Request, reference: str) -> HTTPResponse:
    """Log a repair for the tenancy of the conversation."""
    try:
        handoff, match = await _tenancy(request, reference)
    except NotHolder:
        return _not_holder(request)
    if match is None:
        return _no_tenancy(request, reference)
    form = request.form or {}
    values, errors = _fields(form, REPAIR_FIELDS, "repair")
    priority = str(form.get("priority") or "")
    values["repair_priority"] = priority
    if priority not in {item.value for item in Priority}:
        errors["repair_priority"] = "Choose a priority."
    if errors:
        return await conversation_page(request, reference, errors=errors, values=values, status=422, audited=False)
    staff = signed_in(request)

    def create(session: Session) -> tuple[str, str]:
        job = repairs.create(
            session=session,
            tenancy_reference=match.reference,
            item=values["repair_item"],
            location=values["repair_location"],
            description=values["repair_description"],
            priority=priority,
            channel=handoff.channel,
            actor=staff.actor,
        )
        return str(job.reference), Priority(job.priority).value

    try:
        job_reference, final_priority = await workflow.in_session(console(request), create)
    except HousingError as error:
        errors = {"repair": f"The repair could not be logged: {error}."}
        return await conversation_page(request, reference, errors=errors, values=values, status=422, audited=False)
    staff.session.flash("success", f"Repair {job_reference} logged with {final_priority} priority.")
    return redirect(f"/conversations/{reference}#repair-{job_reference}")


@guard(Capability.CHANGE_RECORDS)
async def repair_status(request: Request, reference: str, repair: str) -> HTTPResponse:
    """Start, complete or cancel one of the tenancy's repairs."""
    try:
        _handoff, match = await _tenancy(request, reference)
    except NotHolder:
        return _not_holder(request)
    if match is None:
        return _no_tenancy(request, reference)
    staff = signed_in(request)
    status = str((request.form or {}).get("status") or "")

    def change(session: Session) -> str:
        job = records.repair_of_tenancy(session, tenancy_reference=match.reference, repair_reference=repair)
        changed = repairs.update(session=session, reference=str(job.reference), status=status, actor=staff.actor)
        return RepairStatus(changed.status).value.replace("_", " ")

    try:
        now_status = await workflow.in_session(console(request), change)
    except (NotFound, InvalidReference):
        raise PageNotFound(repair) from None
    except InvalidInput:
        staff.session.flash("error", "Choose what to change the repair to.")
        return redirect(f"/conversations/{reference}#repair-{repair}")
    except Conflict as error:
        staff.session.flash("error", f"{repair} could not be changed: {error}.")
        return redirect(f"/conversations/{reference}#repair-{repair}")
    staff.session.flash("success", f"{repair} is now {now_status}.")
    return redirect(f"/conversations/{reference}#repair-{repair}")


async def _check_repair(state: ConsoleState, match: records.TenancyMatch, repair: str) -> str:
    def check(session: Session) -> str:
        job = records.repair_of_tenancy(session, tenancy_reference=match.reference, repair_reference=repair)
        return str(job.reference)

    try:
        return await workflow.in_session(state, check)
    except (NotFound, InvalidInput):
        raise PageNotFound(repair) from None


@guard(Capability.CHANGE_RECORDS)
async def slots_page(request: Request, reference: str, repair: str) -> HTTPResponse:
    """Offer the next free appointment slots for a repair."""
    state = console(request)
    try:
        handoff, match = await _tenancy(request, reference)
    except NotHolder:
        return _not_holder(request)
    if match is None:
        return _no_tenancy(request, reference)
    job_reference = await _check_repair(state, match, repair)
    try:
        offered = await workflow.in_session(
            state,
            lambda session: records.free_slots(session, tenancy_reference=match.reference, now=workflow.utc_now()),
        )
    except HousingError as error:
        signed_in(request).session.flash("error", f"No slots can be offered: {error}.")
        return redirect(f"/conversations/{reference}#repair-{repair}")
    return render(
        request, "slots.html", active="queue", handoff=handoff, repair=job_reference, slots=offered, error=None
    )


@guard(Capability.CHANGE_RECORDS)
async def book(request: Request, reference: str, repair: str) -> HTTPResponse:
    """Book (or move) a repair's appointment into the chosen slot."""
    state = console(request)
    staff = signed_in(request)
    try:
        _handoff, match = await _tenancy(request, reference)
    except NotHolder:
        return _not_holder(request)
    if match is None:
        return _no_tenancy(request, reference)
    job_reference = await _check_repair(state, match, repair)
    raw = str((request.form or {}).get("slot_id") or "")
    if not raw.isdigit():
        staff.session.flash("error", "Choose a slot.")
        return redirect(f"/conversations/{reference}/repairs/{job_reference}/slots")
    slot_id = int(raw)

    def book_it(session: Session) -> str:
        job = repairs.get_or_raise(session=session, reference=job_reference)
        if RepairStatus(job.status) is RepairStatus.BOOKED:
            job = repairs.rebook_appointment(
                session=session, reference=job_reference, slot_id=slot_id, actor=staff.actor
            )
        else:
            job = repairs.book_appointment(session=session, reference=job_reference, slot_id=slot_id, actor=staff.actor)
        slot = job.slot
        return f"{records.day_label(slot.slot_date)}, {'morning' if slot.period.value == 'AM' else 'afternoon'}"

    try:
        when = await workflow.in_session(state, book_it)
    except HousingError as error:
        staff.session.flash("error", f"That slot could not be booked: {error}. Choose another.")
        return redirect(f"/conversations/{reference}/repairs/{job_reference}/slots")
    staff.session.flash("success", f"{job_reference} booked for {when}. Tell the tenant in your reply.")
    return redirect(f"/conversations/{reference}#repair-{job_reference}")


@guard(Capability.CHANGE_RECORDS)
async def create_complaint(request: Request, reference: str) -> HTTPResponse:
    """Log a stage 1 complaint (Complaint Handling Code) for the tenancy of the conversation."""
    try:
        _handoff, match = await _tenancy(request, reference)
    except NotHolder:
        return _not_holder(request)
    if match is None:
        return _no_tenancy(request, reference)
    values, errors = _fields(request.form or {}, COMPLAINT_FIELDS, "complaint")
    if errors:
        return await conversation_page(request, reference, errors=errors, values=values, status=422, audited=False)
    staff = signed_in(request)

    def create(session: Session) -> tuple[str, str]:
        complaint = complaints.create(
            session=session,
            tenancy_reference=match.reference,
            what_happened=values["complaint_what_happened"],
            desired_outcome=values["complaint_desired_outcome"],
            actor=staff.actor,
        )
        return str(complaint.reference), records.day_label(complaint.stage1_acknowledge_by)

    try:
        complaint_reference, acknowledge_by = await workflow.in_session(console(request), create)
    except HousingError as error:
        errors = {"complaint": f"The complaint could not be logged: {error}."}
        return await conversation_page(request, reference, errors=errors, values=values, status=422, audited=False)
    staff.session.flash(
        "success", f"Complaint {complaint_reference} logged at stage 1; acknowledge it by {acknowledge_by}."
    )
    return redirect(f"/conversations/{reference}#complaints")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


@guard(Capability.VIEW_HELD_RECORD)
async def attachment(request: Request, reference: str, attachment_id: int) -> HTTPResponse:
    """Send a photo from the tenant's record, if it belongs to a case shown beside this conversation."""
    state = console(request)
    staff = signed_in(request)
    handoff = await load_handoff(state, reference)
    if not may_see_record(staff, handoff):
        return error_page(request, 403, "Not allowed", "Claim the conversation to see the tenant's photos.")
    tracker = await read_tracker(state, handoff.sender_id)

    def locate(session: Session) -> tuple[str, str] | None:
        match = find_match(session, handoff, tracker.slots)
        if match is None:
            return None
        record = records.load_record(session, match, now=workflow.utc_now())
        if attachment_id not in record.photo_ids:
            return None
        item = attachments.get_or_raise(session=session, attachment_id=attachment_id)
        return str(item.path), str(item.content_type)

    found = await workflow.in_session(state, locate)
    if found is None:
        raise PageNotFound(str(attachment_id))
    stored, content_type = found
    root = state.config.media_dir.resolve()
    path = Path(stored)
    path = (path if path.is_absolute() else PROJECT_ROOT / path).resolve()
    if not _inside(path, root) or not path.is_file():
        raise PageNotFound(str(attachment_id))
    is_image = content_type.startswith("image/") and content_type != "image/svg+xml"
    headers = {"Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "private, no-store"}
    if not is_image:
        extension = mimetypes.guess_extension(content_type) or ""
        headers["Content-Disposition"] = f'attachment; filename="attachment-{attachment_id}{extension}"'
    data = await asyncio.to_thread(path.read_bytes)
    return response.raw(data, content_type=content_type if is_image else "application/octet-stream", headers=headers)


def register(app: Sanic) -> None:
    """Add the record routes."""
    base = "/conversations/<reference>"
    app.add_route(create_repair, f"{base}/repairs", methods=["POST"], name="create_repair")
    app.add_route(repair_status, f"{base}/repairs/<repair>/status", methods=["POST"], name="repair_status")
    app.add_route(slots_page, f"{base}/repairs/<repair>/slots", methods=["GET"], name="slots")
    app.add_route(book, f"{base}/repairs/<repair>/book", methods=["POST"], name="book")
    app.add_route(create_complaint, f"{base}/complaints", methods=["POST"], name="create_complaint")
    app.add_route(attachment, f"{base}/attachments/<attachment_id:int>", methods=["GET"], name="attachment")
