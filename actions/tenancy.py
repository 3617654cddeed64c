"""The tenancy itself: giving notice, reporting that a tenant has died, and changing contact details.

A bereavement is never handled like notice: the person writing gets no questions and no identity check, only
condolences and a member of staff who contacts them personally. Notice and contact changes alter a tenancy, so
they need a verified tenant.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.common import latest_text, phrasebook, sender_identity, session_factory
from actions.dissatisfaction import dissatisfied_since, offer_complaint, tenant_messages_since
from actions.formatting import day_in_words
from actions.handoff import SUPPORTED_CHANNELS, open_handoff
from actions.identity import VerifiedFormValidation, tenancy_for_records, verified_tenancy
from actions.parsing import MONTHS, parse_date
from bot.clocks.calendar import local_date
from bot.housing import contact_changes, identities, tenancies, tenancy_ends
from bot.housing.db import session_scope
from bot.housing.enums import Channel, ContactField, HandoffReason, TenancyEndReason
from bot.housing.errors import HousingError, InvalidEmail, InvalidPhoneNumber
from bot.housing.validation import normalise_email, normalise_phone
from bot.landlord import get_landlord

logger = logging.getLogger(__name__)

PHRASES = "utter_tenancy_phrases"
END_TENANCY_INTENTS = ("end_tenancy",)
CONTACT_INTENTS = ("update_contact_details",)
END_TENANCY_SLOTS = ("end_reason", "end_date")
LATEST_END_DAYS = 366
PHONE_CHANNELS = frozenset({Channel.SMS.value, Channel.WHATSAPP.value})
REPORTER_NOT_ASKED = "Not asked (reported by message)"
BEREAVEMENT_SUMMARY = "Bereavement reported by message: please contact them personally, with care."
BEREAVEMENT_UNHAPPY = "They also sound unhappy with our service: offer them the choice of a complaint (Code 1.3)."

_BEREAVEMENT = re.compile(
    r"\b(?:died|dying|dead|death|deceased|passed\s+(?:away|on|over)|(?:has|had|just|sadly)\s+passed"
    r"|passed\s+(?:last|yesterday|today|this|on|in)|funeral|bereave(?:d|ment)|no\s+longer\s+with\s+us"
    r"|lost\s+(?:my|our|his|her)\s+(?:mum|mam|mom|mother|dad|father|nan|nana|gran|granny|grandma|grandad"
    r"|grandpa|grandfather|grandmother|husband|wife|partner|son|daughter|brother|sister|aunt|auntie|uncle"
    r"|friend|fiance|fiancee)|late\s+(?:mum|mother|dad|father|husband|wife|partner|aunt|auntie|uncle|nan"
    r"|gran|grandad|brother|sister|son|daughter)|executor|probate|succession)\b",
    re.IGNORECASE,
)
_END_REASONS = (
    (TenancyEndReason.CARE, re.compile(r"\b(?:care\s+home|nursing\s+home|residential\s+care|into\s+care|carers?)\b")),
    (
        TenancyEndReason.TRANSFER,
        re.compile(r"\b(?:transfer(?:ring|red)?|mutual\s+exchange|swap(?:ping)?|house\s+swap|exchange)\b"),
    ),
    (
        TenancyEndReason.MOVING,
        re.compile(
            r"\b(?:mov(?:e|ing)|bought|buying|purchas(?:e|ing)|relocat(?:e|ing)|emigrat(?:e|ing)|new\s+job"
            r"|moving\s+in\s+with|living\s+with|private\s+rent(?:al)?|council\s+house|another\s+(?:area|city|town))\b"
        ),
    ),
)
_MONTH_NAME = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"
_DAY_AND_MONTH = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_NAME}\b|\b{_MONTH_NAME}\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    r"|\b\d{1,2}\s*[/.-]\s*\d{1,2}\b",
    re.IGNORECASE,
)
_EMAIL_IN_TEXT = re.compile(r"[^\s@<>(),;:\"']+@[^\s@<>(),;:\"']+\.[^\s@<>(),;:\"']+")
_PHONE_IN_TEXT = re.compile(r"(?:\+|\b00|\b)\d[\d\s\-().]{7,16}\d\b")
_UK_MOBILE = re.compile(r"^\+447\d{9}$")


def reports_bereavement(text: str) -> bool:
    """Return True when a message says the tenant has died (died, passed away, funeral, death, the late ...)."""
    return bool(_BEREAVEMENT.search(str(text or "").replace("\u2019", "'")))


def bereavement_reported(tracker: Tracker) -> bool:
    """Return True when a message of the current end-of-tenancy request reports a death."""
    return any(reports_bereavement(text) for text in tenant_messages_since(tracker, END_TENANCY_INTENTS))


def end_reason_category(text: str) -> TenancyEndReason:
    """Return the recorded reason for a tenant's own words ("moving into a care home" is care)."""
    lowered = str(text or "").lower()
    for reason, pattern in _END_REASONS:
        if pattern.search(lowered):
            return reason
    return TenancyEndReason.OTHER


def today() -> date:
    """Return today's date in England."""
    return local_date(datetime.now(timezone.utc))


def earliest_end_date(on: date) -> date:
    """Return the first day a tenancy can end when notice is given on `on` (landlord.yml notice_period_weeks)."""
    return on + timedelta(weeks=get_landlord().notice_period_weeks)


def read_end_date(text: str, on: date) -> date | None:
    """Read a future date; a day and month without a year mean the next such day ("31 January", "31/1").

    Returns:
        The date, or None when the text holds no valid date.
    """
    found = parse_date(text, today=on, past=False)
    if found is not None:
        return found
    for day_and_month in _DAY_AND_MONTH.finditer(text):
        for year in (on.year, on.year + 1):
            # Write the year in after the day and month, where parse_date looks for it.
            with_year = f"{text[: day_and_month.end()]} {year}{text[day_and_month.end() :]}"
            found = parse_date(with_year, today=on, past=False)
            if found is not None and found >= on:
                return found
    return None


def read_contact_detail(text: str) -> tuple[ContactField, str] | None:
    """Find a UK mobile number or an email address in what the tenant wrote, in canonical form.

    Returns:
        (phone, "+447700900123") or (email, "name@example.org"); None when there is neither.
    """
    for candidate in _EMAIL_IN_TEXT.findall(str(text or "")):
        try:
            return ContactField.EMAIL, normalise_email(candidate.rstrip(".!?"))
        except InvalidEmail:
            continue
    for candidate in _PHONE_IN_TEXT.findall(str(text or "")):
        try:
            number = normalise_phone(candidate.strip())
        except InvalidPhoneNumber:
            continue
        if _UK_MOBILE.match(number):
            return ContactField.PHONE, number
    return None


def phone_in_words(number: str) -> str:
    """Return a UK mobile number the way tenants write it ("+447700900123" -> "07700 900123")."""
    if _UK_MOBILE.match(number):
        national = "0" + number[3:]
        return f"{national[:5]} {national[5:]}"
    return number


def phrase(domain: DomainDict, key: str, **values: Any) -> str:
    """Return phrase `key` of this topic's phrasebook in the domain, with `values` filled in."""
    return phrasebook(domain, PHRASES, key, **values)


class ValidateEndTenancyForm(VerifiedFormValidation):
    """Notice: verify, ask why (optional) and when; a bereavement asks nothing at all."""

    form = "end_tenancy_form"
    requires = "verified"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Return no questions for a bereavement; otherwise verification, then the reason and the end date."""
        if bereavement_reported(tracker):
            return []
        return await super().required_slots(domain_slots, dispatcher, tracker, domain)

    async def validate_end_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept any answer, "I'd rather not say" included: the reason is optional."""
        return {"end_reason": " ".join(str(value or "").split()) or None}

    async def validate_end_date(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept a date that gives the notice the tenancy needs and is within a year."""
        on = today()
        earliest = earliest_end_date(on)
        landlord = get_landlord()
        wanted = read_end_date(str(value or ""), on)
        if wanted is None:
            dispatcher.utter_message(response="utter_end_date_unreadable", earliest_end=day_in_words(earliest))
            return {"end_date": None}
        if wanted < earliest:
            dispatcher.utter_message(
                response="utter_end_date_too_soon",
                notice_weeks=landlord.notice_period_weeks,
                earliest_end=day_in_words(earliest),
            )
            return {"end_date": None}
        if wanted > on + timedelta(days=LATEST_END_DAYS):
            dispatcher.utter_message(
                response="utter_end_date_too_far", earliest_end=day_in_words(earliest), landlord_phone=landlord.phone
            )
            return {"end_date": None}
        return {"end_date": wanted.isoformat()}


class ActionAskEndDate(Action):
    """Ask for the end date, saying how much notice is needed and the earliest date possible."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_ask_end_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send utter_ask_end_date with the notice period and the earliest end date."""
        dispatcher.utter_message(
            response="utter_ask_end_date",
            notice_weeks=get_landlord().notice_period_weeks,
            earliest_end=day_in_words(earliest_end_date(today())),
        )
        return []


class ActionLogTenancyEnd(Action):
    """Record notice, or pass a bereavement to a person with care."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_log_tenancy_end"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send condolences and queue a person for a bereavement; otherwise record the notice."""
        clear: list[EventType] = [SlotSet(slot, None) for slot in END_TENANCY_SLOTS]
        if bereavement_reported(tracker):
            self._bereavement(dispatcher, tracker)
            return clear
        landlord = get_landlord()
        tenancy = verified_tenancy(tracker)
        if tenancy is None:
            dispatcher.utter_message(response="utter_verification_needed", landlord_phone=landlord.phone)
            return clear
        end_date = tracker.get_slot("end_date")
        if not end_date:
            return clear  # the form was stopped before the tenant gave a date; nothing to log
        try:
            with session_scope(session_factory()) as session:
                request = tenancy_ends.create(
                    session=session,
                    tenancy_reference=tenancy,
                    reason=end_reason_category(str(tracker.get_slot("end_reason") or "")),
                    end_date=date.fromisoformat(str(end_date)),
                    actor=f"tenant:{tracker.sender_id}",
                )
                reference, ends_on = request.reference, request.end_date
        except (HousingError, SQLAlchemyError, ValueError):
            logger.exception("could not record notice to end a tenancy")
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=landlord.phone)
            return []  # keep the answers so nothing the tenant said is lost
        dispatcher.utter_message(
            response="utter_end_tenancy_logged", reference=reference, end_date=day_in_words(ends_on)
        )
        if dissatisfied_since(tracker, END_TENANCY_INTENTS):
            return [*clear, *offer_complaint(dispatcher)]
        return clear

    @staticmethod
    def _bereavement(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Queue a person (urgency high) and, for an identified tenancy, record that it is ending."""
        landlord = get_landlord()
        channel, _ = sender_identity(tracker)
        if channel not in SUPPORTED_CHANNELS:
            dispatcher.utter_message(response="utter_bereavement_call_us", landlord_phone=landlord.phone)
            return
        verified = verified_tenancy(tracker)
        try:
            tenancy = tenancy_for_records(tracker)
        except (HousingError, SQLAlchemyError):
            logger.exception("could not identify the sender of a bereavement")
            tenancy = None
        note = _record_bereavement_end(tracker, tenancy) if tenancy is not None else None
        # No automated complaint offer at such a time: the person who calls offers it (Code 1.3).
        unhappy = BEREAVEMENT_UNHAPPY if dissatisfied_since(tracker, END_TENANCY_INTENTS) else None
        said = "\n".join(tenant_messages_since(tracker, END_TENANCY_INTENTS))
        reference = open_handoff(
            tracker,
            reason=HandoffReason.BEREAVEMENT,
            summary="\n".join(part for part in (BEREAVEMENT_SUMMARY, unhappy, note, said) if part),
            link_tenancy=verified is not None,
        )
        if reference is None:
            dispatcher.utter_message(response="utter_bereavement_call_us", landlord_phone=landlord.phone)
            return
        dispatcher.utter_message(response="utter_bereavement_condolences")


def _record_bereavement_end(tracker: Tracker, tenancy: str) -> str | None:
    """Record the tenancy as ending, with a provisional date for staff to agree with the family.

    Its own transaction: if the request cannot be recorded (the tenancy already has an end date), a person
    still contacts the family, and the note for staff says so.

    Returns:
        A note for the member of staff who follows up.
    """
    provisional = earliest_end_date(today())
    try:
        with session_scope(session_factory()) as session:
            reference = tenancy_ends.create(
                session=session,
                tenancy_reference=tenancy,
                reason=TenancyEndReason.BEREAVEMENT,
                end_date=provisional,
                reported_by_name=REPORTER_NOT_ASKED,
                actor=f"tenant:{tracker.sender_id}",
            ).reference
    except (HousingError, SQLAlchemyError):
        logger.exception("could not record a bereavement tenancy end for %s", tenancy)
        return f"Could not record a tenancy end request for {tenancy}: please record it by hand."
    return (
        f"Tenancy end request {reference} recorded for {tenancy} with a provisional end date of "
        f"{provisional.isoformat()}: agree the real date with the family."
    )


class ValidateContactDetailsForm(VerifiedFormValidation):
    """Verify the tenant, then take a new UK mobile number or email address."""

    form = "contact_details_form"
    requires = "verified"

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Also take the new detail from the message that started the form ("my new number is 07700 900123")."""
        events = await super().get_extraction_events(dispatcher, tracker, domain)
        if tracker.get_slot("requested_slot") is None and tracker.get_slot("new_contact_detail") is None:
            found = read_contact_detail(latest_text(tracker))
            if found is not None:
                tracker.slots["new_contact_detail"] = found[1]
                events.append(SlotSet("new_contact_detail", found[1]))
        return events

    async def validate_new_contact_detail(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept a UK mobile number or an email address, stored in canonical form."""
        found = read_contact_detail(str(value or ""))
        if found is None:
            dispatcher.utter_message(response="utter_contact_detail_invalid")
            return {"new_contact_detail": None}
        return {"new_contact_detail": found[1]}


class ActionUpdateContactDetails(Action):
    """Ask staff to change the verified tenant's mobile number or email address."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_update_contact_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Create the change request and confirm it with its reference."""
        clear: list[EventType] = [SlotSet("new_contact_detail", None)]
        landlord = get_landlord()
        tenancy = verified_tenancy(tracker)
        if tenancy is None:
            dispatcher.utter_message(response="utter_verification_needed", landlord_phone=landlord.phone)
            return clear
        found = read_contact_detail(str(tracker.get_slot("new_contact_detail") or ""))
        if found is None:
            return clear  # the form was stopped before the tenant gave a detail; nothing to log
        field, value = found
        try:
            with session_scope(session_factory()) as session:
                request = contact_changes.create(
                    session=session,
                    tenancy_reference=tenancy,
                    field=field,
                    new_value=value,
                    tenant_id=_sender_tenant_id(session, tracker, tenancy),
                    actor=f"tenant:{tracker.sender_id}",
                )
                reference = request.reference
        except (HousingError, SQLAlchemyError):
            logger.exception("could not request a contact detail change")
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=landlord.phone)
            return []  # keep the detail so nothing the tenant said is lost
        dispatcher.utter_message(
            response="utter_contact_details_logged",
            detail_kind=phrase(domain, f"detail_{field.value}"),
            detail_value=phone_in_words(value) if field is ContactField.PHONE else value,
            reference=reference,
        )
        if dissatisfied_since(tracker, CONTACT_INTENTS):
            return [*clear, *offer_complaint(dispatcher)]
        return clear


def _sender_tenant_id(session: Session, tracker: Tracker, tenancy: str) -> int | None:
    """Return the tenant on `tenancy` who is writing (a joint tenant changes their own details), or None.

    None makes the request for the lead tenant, the default when the sender cannot be told apart.
    """
    channel, address = sender_identity(tracker)
    household = tenancies.household(session=session, reference=tenancy)
    if channel in PHONE_CHANNELS:
        try:
            number = normalise_phone(address)
        except InvalidPhoneNumber:
            return None
        return next((tenant.id for tenant in household if tenant.phone == number), None)
    if channel == Channel.TELEGRAM.value:
        identity = identities.get(session=session, channel=channel, address=address)
        if identity is not None and identity.tenant_id is not None:
            return next((tenant.id for tenant in household if tenant.id == identity.tenant_id), None)
    return None
