"""Repairs: reporting a repair, booking a visit, checking progress and changing an appointment."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text, sender_identity, session_factory
from actions.formatting import day_in_words, window_in_words
from actions.forms import TenantFormValidation, wants_to_stop
from actions.identity import VerifiedFormValidation, identify_tracker, verified_tenancy
from actions.parsing import parse_choice
from bot.clocks.repairs import describe_target
from bot.housing import appointments, handoffs, repairs
from bot.housing.db import session_scope
from bot.housing.enums import Channel, HandoffReason, RepairStatus, Urgency
from bot.housing.errors import HousingError, SlotUnavailable
from bot.housing.validation import mask_card_numbers
from bot.priority import assess_priority

if TYPE_CHECKING:  # annotations only: actions read what the services return, they never query models
    from bot.housing.models import AppointmentSlot, RepairJob

logger = logging.getLogger(__name__)

REPAIR_FORM_SLOTS = ("repair_item", "repair_location", "repair_description", "access_notes")
APPOINTMENT_SLOTS = ("appointment_choice", "offered_slots")
SLOTS_OFFERED = 3
NONE_SUITABLE = "none"
UNREADABLE = "?"  # an answer that picks none of the options: the form explains and asks again
CANCEL_VISIT = "cancel"
NONE_WORDS = ("none", "neither", "no", "nope", "not", "can't", "cant", "other")
MIN_DESCRIPTION_CHARS = 3


def channel_for_record(tracker: Tracker) -> str | None:
    """Return the channel to record on a job (None for the REST channel, which is no tenant channel)."""
    channel, _ = sender_identity(tracker)
    return channel if channel in {c.value for c in Channel} else None


def slot_options(found: list[AppointmentSlot]) -> list[dict[str, Any]]:
    """Return appointment slots as the options a tenant chooses from: id and label."""
    return [{"id": slot.id, "label": window_in_words(*appointments.window(slot))} for slot in found]


def option_buttons(options: list[dict[str, Any]], *, extra: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Return numbered buttons for options; channels without buttons show them as "1. ...", "2. ..."."""
    buttons = [{"title": option["label"], "payload": str(number)} for number, option in enumerate(options, 1)]
    buttons += [{"title": title, "payload": payload} for title, payload in extra]
    return buttons


def _job_values(job: RepairJob) -> dict[str, Any]:
    return {
        "reference": job.reference,
        "repair_item": job.item,
        "repair_location": job.location,
        "priority": job.priority.value if hasattr(job.priority, "value") else str(job.priority),
        "target_description": describe_target(job.priority),
        "target_date": day_in_words(job.target_at.date()),
    }


class ValidateRepairForm(VerifiedFormValidation):
    """What is broken, where, what's happening, and when someone can get in."""

    form = "repair_form"
    requires = "identified"
    entity_slots = {"repair_item": "repair_item", "repair_location": "location"}

    async def validate_repair_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept a short name of the broken thing."""
        text = " ".join(str(value or "").split())[:80]
        return {"repair_item": text or None}

    async def validate_repair_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept where it is, in the tenant's words."""
        text = " ".join(str(value or "").split())[:80]
        return {"repair_location": text or None}

    async def validate_repair_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept a description of at least a few characters, with any card number masked."""
        text = mask_card_numbers(" ".join(str(value or "").split()))
        if len(text) < MIN_DESCRIPTION_CHARS:
            return {"repair_description": None}
        return {"repair_description": text}

    async def validate_access_notes(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept any note about access, with any card number masked."""
        text = mask_card_numbers(" ".join(str(value or "").split()))
        return {"access_notes": text or None}


class ActionLogRepair(Action):
    """Create the repair job, tell the tenant its reference, priority and target, and offer appointment slots."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_log_repair"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Log the repair and offer the next free slots."""
        item = tracker.get_slot("repair_item")
        location = tracker.get_slot("repair_location")
        description = tracker.get_slot("repair_description")
        access = tracker.get_slot("access_notes")
        clear = [SlotSet(slot, None) for slot in REPAIR_FORM_SLOTS]
        if not (item and location and description):
            return clear  # the form was stopped before it finished; nothing to log
        sender = identify_tracker(tracker)
        tenancy = verified_tenancy(tracker) or sender.tenancy_reference
        full_description = f"{description} (Access: {access})" if access else str(description)
        try:
            with session_scope(session_factory()) as session:
                if tenancy is None:
                    # Nobody to log it against: a person follows up on the tenant's channel (when there is one).
                    channel = channel_for_record(tracker)
                    if channel is not None:
                        handoffs.create(
                            session=session,
                            sender_id=tracker.sender_id,
                            channel=channel,
                            reason=HandoffReason.REQUEST_HUMAN,
                            urgency=Urgency.NORMAL,
                            summary=f"Repair report from an unmatched sender: {item} in {location}: {full_description}",
                        )
                    dispatcher.utter_message(response="utter_repair_no_tenancy")
                    return clear
                job = repairs.create(
                    session=session,
                    tenancy_reference=tenancy,
                    item=str(item),
                    location=str(location),
                    description=full_description,
                    priority=assess_priority(str(item), str(location), str(description)),
                    channel=channel_for_record(tracker),
                    actor=f"tenant:{tracker.sender_id}",
                )
                values = _job_values(job)
                offered = slot_options(
                    appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=SLOTS_OFFERED)
                )
        except HousingError:
            logger.exception("could not log a repair")
            dispatcher.utter_message(response="utter_error_try_later")
            return []  # keep the answers so the tenant can try again
        dispatcher.utter_message(response="utter_repair_logged", **values)
        return [
            *clear,
            SlotSet("repair_reference", values["reference"]),
            SlotSet("offered_slots", offered or None),
        ]


class ValidateAppointmentForm(TenantFormValidation):
    """Pick one of the offered slots (or none); asks nothing when no slots were offered."""

    form = "appointment_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Ask only when a repair was just logged and slots were offered."""
        if not tracker.get_slot("repair_reference") or not tracker.get_slot("offered_slots"):
            return []
        return list(domain_slots)

    def value_for_appointment_choice(self, tracker: Tracker) -> str | None:
        """Read "1", "the second", "none"... against the offered slots (UNREADABLE when it picks none)."""
        return read_slot_choice(latest_text(tracker), tracker.get_slot("offered_slots") or []) or UNREADABLE

    async def validate_appointment_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep a valid choice; say how to answer and ask again otherwise."""
        if value == UNREADABLE:
            dispatcher.utter_message(response="utter_appointment_invalid_choice")
            return {"appointment_choice": None}
        return {"appointment_choice": value}


def read_slot_choice(text: str, options: list[dict[str, Any]], *, allow_cancel: bool = False) -> str | None:
    """Return the chosen option's id (as text), "none", "cancel", or None when the text picks nothing."""
    lowered = text.lower().strip()
    if allow_cancel and ("cancel" in lowered or lowered == str(len(options) + 1)):
        return CANCEL_VISIT
    index = parse_choice(lowered, len(options))
    if index is not None:
        return str(options[index]["id"])
    words = lowered.replace(",", " ").split()
    if words and words[0] in NONE_WORDS:
        return NONE_SUITABLE
    return None


class ActionAskAppointmentChoice(Action):
    """Ask which slot suits, with the offered slots as numbered buttons."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_ask_appointment_choice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send the question with one button per slot and a "none of these" button."""
        options = tracker.get_slot("offered_slots") or []
        extra = [("None of these", NONE_SUITABLE)]
        if tracker.active_loop_name == "appointment_change_form":
            extra.append(("Cancel the visit", CANCEL_VISIT))
        dispatcher.utter_message(response="utter_ask_appointment_choice", buttons=option_buttons(options, extra=extra))
        return []


class ActionBookAppointment(Action):
    """Book the chosen slot for the repair just logged."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_book_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Book, or say the repairs team will call when no slot suits or it was just taken."""
        reference = tracker.get_slot("repair_reference")
        choice = tracker.get_slot("appointment_choice")
        options = tracker.get_slot("offered_slots") or []
        clear = [SlotSet(slot, None) for slot in (*APPOINTMENT_SLOTS, "repair_reference")]
        if not reference or not choice:
            return clear
        if choice == NONE_SUITABLE:
            dispatcher.utter_message(response="utter_appointment_none_suitable", reference=reference)
            return clear
        label = next((o["label"] for o in options if str(o["id"]) == str(choice)), "")
        try:
            with session_scope(session_factory()) as session:
                repairs.book_appointment(
                    session=session,
                    reference=str(reference),
                    slot_id=int(choice),
                    actor=f"tenant:{tracker.sender_id}",
                )
        except SlotUnavailable:
            dispatcher.utter_message(response="utter_appointment_slot_taken")
            dispatcher.utter_message(response="utter_appointment_none_suitable", reference=reference)
            return clear
        except HousingError:
            logger.exception("could not book an appointment")
            dispatcher.utter_message(response="utter_error_try_later")
            return clear
        dispatcher.utter_message(response="utter_appointment_booked", slot_label=label, reference=reference)
        return clear


class ValidateRepairStatusForm(VerifiedFormValidation):
    """Only verification: a tenant's jobs are personal data."""

    form = "repair_status_form"


def _status_words(job: RepairJob) -> tuple[str, str]:
    status = RepairStatus(job.status)
    words = {
        RepairStatus.REPORTED: "reported, not booked yet",
        RepairStatus.BOOKED: "booked",
        RepairStatus.IN_PROGRESS: "in progress",
    }.get(status, status.value.replace("_", " "))
    if job.slot is not None:
        return words, f"Visit: {window_in_words(*appointments.window(job.slot))}."
    return words, f"Target: {day_in_words(job.target_at.date())}."


class ActionRepairStatus(Action):
    """List the verified tenant's open repairs; offer a complaint when one is overdue (Complaint Handling Code 1.3)."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_repair_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send one line per open job."""
        tenancy = verified_tenancy(tracker)
        if tenancy is None:
            dispatcher.utter_message(response="utter_verification_needed")
            return []
        now = datetime.now(timezone.utc)
        try:
            with session_scope(session_factory()) as session:
                jobs = repairs.list(session=session, tenancy_reference=tenancy, open_only=True)
                lines = []
                overdue = None
                for job in jobs:
                    status, appointment_text = _status_words(job)
                    lines.append({**_job_values(job), "status": status, "appointment_text": appointment_text})
                    if overdue is None and job.target_at < now:
                        overdue = _job_values(job)
        except HousingError:
            logger.exception("could not list repairs")
            dispatcher.utter_message(response="utter_error_try_later")
            return []
        if not lines:
            dispatcher.utter_message(response="utter_no_open_repairs")
            return []
        for line in lines:
            dispatcher.utter_message(response="utter_repair_status_line", **line)
        if overdue is not None:
            dispatcher.utter_message(response="utter_repair_overdue_offer_complaint", **overdue)
            return [SlotSet("offer", "complaint")]
        return []


class ValidateAppointmentChangeForm(VerifiedFormValidation):
    """Which job (asked only when there is more than one) and which new slot, or cancel the visit."""

    form = "appointment_change_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Verification first; then the job and the new slot, unless there is nothing to change."""
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if not tracker.get_slot("verified"):
            return [slot for slot in slots if slot not in domain_slots]
        if not tracker.get_slot("offered_slots") and tracker.get_slot("change_job_reference"):
            return []  # no free slots could be found; the submit action explains
        return slots

    def value_for_change_job_reference(self, tracker: Tracker) -> str | None:
        """Read the job by its number in the list or by its reference."""
        jobs = _changeable_jobs(tracker)
        text = latest_text(tracker)
        for job in jobs:
            if job["reference"].lower() in text.lower():
                return str(job["reference"])
        index = parse_choice(text, len(jobs))
        return str(jobs[index]["reference"]) if index is not None else None

    def value_for_appointment_choice(self, tracker: Tracker) -> str | None:
        """Read the new slot, "cancel" or "none"."""
        if wants_to_stop(latest_text(tracker)) and "visit" not in latest_text(tracker).lower():
            return None
        return read_slot_choice(latest_text(tracker), tracker.get_slot("offered_slots") or [], allow_cancel=True)

    async def validate_change_job_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep the job and work out the slots that can be offered for it."""
        tenancy = verified_tenancy(tracker)
        if not value or tenancy is None:
            return {"change_job_reference": None}
        with session_scope(session_factory()) as session:
            offered = slot_options(
                appointments.next_free_slots(session=session, tenancy_reference=tenancy, count=SLOTS_OFFERED)
            )
        return {"change_job_reference": value, "offered_slots": offered or None}

    async def validate_appointment_choice(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep a valid choice."""
        return {"appointment_choice": value}

    async def validate_verification_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Verify, then pick the job straight away when the tenant has exactly one open repair."""
        result = await super().validate_verification_answer(value, dispatcher, tracker, domain)
        if result.get("verified"):
            tracker.slots.update(result)
            result.update(await self._preselect(dispatcher, tracker, domain))
        return result

    async def validate_otp_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Verify, then pick the job straight away when the tenant has exactly one open repair."""
        result = await super().validate_otp_code(value, dispatcher, tracker, domain)
        if result.get("verified"):
            tracker.slots.update(result)
            result.update(await self._preselect(dispatcher, tracker, domain))
        return result

    async def _preselect(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        jobs = _changeable_jobs(tracker)
        if len(jobs) == 1:
            return await self.validate_change_job_reference(jobs[0]["reference"], dispatcher, tracker, domain)
        return {}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Pick the only job at once for an already verified tenant, then run the usual validation."""
        events = await super().run(dispatcher, tracker, domain)
        if (
            tracker.get_slot("verified")
            and not tracker.get_slot("change_job_reference")
            and not any(e.get("name") == "change_job_reference" for e in events)
        ):
            preselected = await self._preselect(dispatcher, tracker, domain)
            events = [SlotSet(k, v) for k, v in preselected.items()] + events
        return events


def _changeable_jobs(tracker: Tracker) -> list[dict[str, Any]]:
    tenancy = verified_tenancy(tracker)
    if tenancy is None:
        return []
    with session_scope(session_factory()) as session:
        jobs = repairs.list(session=session, tenancy_reference=tenancy, open_only=True)
        return [_job_values(job) for job in jobs]


class ActionAskChangeJobReference(Action):
    """Ask which repair the change is about, listing the open ones."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_ask_change_job_reference"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send the question with a button per open repair."""
        jobs = _changeable_jobs(tracker)
        buttons = [
            {
                "title": f"{job['reference']}: {job['repair_item']} ({job['repair_location']})",
                "payload": str(number),
            }
            for number, job in enumerate(jobs, 1)
        ]
        dispatcher.utter_message(response="utter_ask_change_job_reference", buttons=buttons)
        return []


class ActionChangeAppointment(Action):
    """Rebook or cancel the visit for the chosen repair."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_change_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Apply the change and confirm it."""
        clear = [SlotSet(slot, None) for slot in (*APPOINTMENT_SLOTS, "change_job_reference")]
        if verified_tenancy(tracker) is None:
            dispatcher.utter_message(response="utter_verification_needed")
            return clear
        reference = tracker.get_slot("change_job_reference")
        choice = tracker.get_slot("appointment_choice")
        options = tracker.get_slot("offered_slots") or []
        if not reference:
            dispatcher.utter_message(response="utter_no_appointments_to_change")
            return clear
        actor = f"tenant:{tracker.sender_id}"
        try:
            with session_scope(session_factory()) as session:
                job = repairs.get_or_raise(session=session, reference=str(reference))
                if choice == CANCEL_VISIT:
                    if job.slot_id is not None:
                        repairs.cancel_appointment(session=session, reference=str(reference), actor=actor)
                    dispatcher.utter_message(response="utter_appointment_cancelled", reference=reference)
                    return clear
                if not choice or choice == NONE_SUITABLE:
                    dispatcher.utter_message(response="utter_appointment_none_suitable", reference=reference)
                    return clear
                if job.slot_id is None:
                    repairs.book_appointment(
                        session=session, reference=str(reference), slot_id=int(choice), actor=actor
                    )
                else:
                    repairs.rebook_appointment(
                        session=session, reference=str(reference), slot_id=int(choice), actor=actor
                    )
        except SlotUnavailable:
            dispatcher.utter_message(response="utter_appointment_slot_taken")
            dispatcher.utter_message(response="utter_appointment_none_suitable", reference=reference)
            return clear
        except HousingError:
            logger.exception("could not change an appointment")
            dispatcher.utter_message(response="utter_error_try_later")
            return clear
        label = next((o["label"] for o in options if str(o["id"]) == str(choice)), "")
        dispatcher.utter_message(response="utter_appointment_booked", slot_label=label, reference=reference)
        return clear
