"""Complaints under the Housing Ombudsman's Complaint Handling Code: logged at stage 1 with the Code's dates.

DOMAIN.md, "Complaints": stage 1 is acknowledged within 5 working days of receipt and answered within 10 working
days of the acknowledgement. The service (bot.housing.complaints) computes both from bot.clocks.complaints; this
module collects what happened and what would put it right, and tells the tenant the dates.

A complaint needs no identity check: anyone may complain, and the Code counts a complaint as received when it is
made. It is linked to the sender's tenancy when the sender is known; otherwise it goes to staff as a handoff with the
complaint's words, so it is never lost.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import sender_identity, session_factory
from actions.formatting import day_in_words
from actions.forms import TenantFormValidation
from actions.identity import tenancy_for_records
from bot.clocks.complaints import stage1_dates
from bot.housing import complaints, handoffs
from bot.housing.db import session_scope
from bot.housing.enums import HandoffReason, Urgency
from bot.housing.errors import HousingError, TenancyEnded, TenancyNotFound
from bot.landlord import get_landlord

logger = logging.getLogger(__name__)

FORM_SLOTS = ("complaint_details", "complaint_outcome")
MIN_DETAIL_WORDS = 3  # "the repair", "bad" say too little for anyone to investigate

_WORD = re.compile(r"[^\W_]+")


def _words(value: Any) -> list[str]:
    return _WORD.findall(str(value or ""))


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ValidateComplaintForm(TenantFormValidation):
    """Ask what went wrong and what would put it right; nobody has to prove who they are to complain."""

    form = "complaint_form"

    async def validate_complaint_details(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept an account of what happened of at least a few words."""
        if len(_words(value)) < MIN_DETAIL_WORDS:
            dispatcher.utter_message(response="utter_complaint_details_too_short")
            return {"complaint_details": None}
        return {"complaint_details": " ".join(str(value).split())}

    async def validate_complaint_outcome(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept any outcome in words ("an apology", "fix it", "not sure" are all answers)."""
        if not _words(value):
            dispatcher.utter_message(response="utter_complaint_outcome_hint")
            return {"complaint_outcome": None}
        return {"complaint_outcome": " ".join(str(value).split())}


class ActionLogComplaint(Action):
    """Log a stage 1 complaint and tell the tenant its reference and the Code's dates."""

    def __init__(self, clock: Callable[[], datetime] = _utc_now) -> None:
        """Create the action; tests pass a fixed clock to check the Code's dates."""
        self.clock = clock

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_log_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Log the complaint against the sender's tenancy, or hand it to staff when there is none."""
        details = tracker.get_slot("complaint_details")
        outcome = tracker.get_slot("complaint_outcome") or "not stated"
        clear: list[EventType] = [*(SlotSet(slot, None) for slot in FORM_SLOTS), SlotSet("offer", None)]
        if not details:
            return clear  # the form was stopped before the tenant said what happened: nothing to log
        now = self.clock()
        tenancy = tenancy_for_records(tracker)
        try:
            logged = tenancy is not None and self._log(dispatcher, tracker, tenancy, str(details), str(outcome), now)
            if not logged:
                self._hand_to_staff(dispatcher, tracker, str(details), str(outcome), now)
        except HousingError:
            logger.exception("could not log a complaint")
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=get_landlord().phone)
            return []  # keep the complaint's words so the tenant can try again
        return clear

    @staticmethod
    def _log(
        dispatcher: CollectingDispatcher, tracker: Tracker, tenancy: str, details: str, outcome: str, now: datetime
    ) -> bool:
        """Create the stage 1 complaint; return False when the tenancy turns out not to be current."""
        channel, address = sender_identity(tracker)
        try:
            with session_scope(session_factory()) as session:
                complaint = complaints.create(
                    session=session,
                    tenancy_reference=tenancy,
                    what_happened=details,
                    desired_outcome=outcome,
                    actor=f"{channel}:{address}",
                    now=now,
                )
                reference = complaint.reference
                acknowledge_by, respond_by = complaint.stage1_acknowledge_by, complaint.stage1_respond_by
        except (TenancyNotFound, TenancyEnded):
            return False
        dispatcher.utter_message(
            response="utter_complaint_logged",
            reference=reference,
            acknowledge_by=day_in_words(acknowledge_by),
            respond_by=day_in_words(respond_by),
        )
        return True

    @staticmethod
    def _hand_to_staff(
        dispatcher: CollectingDispatcher, tracker: Tracker, details: str, outcome: str, now: datetime
    ) -> None:
        """Queue the complaint for staff to log; the Code's clock runs from now, so its dates go in the summary."""
        channel, _ = sender_identity(tracker)
        dates = stage1_dates(now)
        acknowledge_by = day_in_words(dates.acknowledge_by)
        summary = (
            "Complaint from a sender not matched to a current tenancy: log it at stage 1 (Complaint Handling Code: "
            f"acknowledge by {acknowledge_by}, respond by {day_in_words(dates.respond_by)}). "
            f"What happened: {details} What would put it right: {outcome}"
        )
        with session_scope(session_factory()) as session:
            handoff = handoffs.create(
                session=session,
                sender_id=tracker.sender_id,
                channel=channel,
                reason=HandoffReason.FALLBACK,
                urgency=Urgency.NORMAL,
                summary=summary,
                now=now,
            )
            reference = handoff.reference
        dispatcher.utter_message(
            response="utter_complaint_passed_to_staff", reference=reference, acknowledge_by=acknowledge_by
        )
