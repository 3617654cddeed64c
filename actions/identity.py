"""Who is asking: identifying the sender and verifying them before any personal data is shared.

Two paths, both ending with `verified = true` for the rest of the session:

- Known sender (the SMS/WhatsApp number is a tenant's number on file, or a Telegram account already linked):
  one knowledge check, the date of birth or the postcode of the home.
- Anyone else (a new Telegram user, an unknown number, the REST channel): tenancy reference, postcode and date of
  birth, then a one-time code sent by SMS to the mobile number on file for that tenancy.

Three failed checks lock verification for 30 minutes (bot/housing/verification.py records every attempt). The
replies never say which part was wrong, so a stranger learns nothing, not even whether a reference exists.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.common import sender_identity, session_factory
from actions.forms import TenantFormValidation
from actions.parsing import parse_date
from bot.housing import identities, one_time_codes, tenancies, tenants, verification
from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.housing.errors import HousingError, InvalidPostcode, InvalidTenancyReference
from bot.housing.validation import POSTCODE_IN_TEXT, normalise_postcode, normalise_tenancy_reference
from bot.landlord import get_landlord

logger = logging.getLogger(__name__)

PHONE_CHANNELS = frozenset({Channel.SMS.value, Channel.WHATSAPP.value})
SUPPORTED_CHANNELS = frozenset(channel.value for channel in Channel)
KNOWN_SENDER_SLOTS = ["verification_answer"]
NEW_SENDER_SLOTS = ["tenancy_reference", "verify_postcode", "verify_dob", "otp_code"]
CHECKED = "checked"  # stored in place of the answer: dates of birth and codes never sit in the tracker


@dataclass(frozen=True)
class Sender:
    """The person behind a channel address, as far as the housing system knows before any check."""

    channel: str
    address: str
    tenancy_reference: str | None
    first_name: str | None

    @property
    def known(self) -> bool:
        """Return whether the address belongs to a tenant with a current tenancy."""
        return self.tenancy_reference is not None


def _current_tenancy(session: Session, tenant_id: int, now: datetime) -> str | None:
    found = tenancies.list(session=session, tenant_id=tenant_id, current_only=True, now=now, limit=1)
    return found[0].reference if found else None


def identify(session: Session, channel: str, address: str, *, now: datetime | None = None) -> Sender:
    """Find the tenancy behind a channel address without revealing anything to the sender.

    Args:
        session: An open housing session.
        channel: sms, whatsapp, telegram or rest.
        address: E.164 number or Telegram user id.
        now: The current time.

    Returns:
        The sender; `tenancy_reference` is None for a stranger or a malformed address.
    """
    at = now or datetime.now(timezone.utc)
    try:
        if channel in PHONE_CHANNELS:
            for tenant in tenants.list(session=session, phone=address, limit=5):
                reference = _current_tenancy(session, tenant.id, at)
                if reference:
                    return Sender(channel, address, reference, tenant.first_name)
        elif channel == Channel.TELEGRAM.value:
            identity = identities.get(session=session, channel=channel, address=address)
            if identity is not None and identity.tenant_id is not None and identity.verified_at is not None:
                reference = _current_tenancy(session, identity.tenant_id, at)
                if reference:
                    return Sender(channel, address, reference, identity.tenant.first_name)
    except HousingError:
        pass  # a malformed address identifies nobody
    return Sender(channel, address, None, None)


def identify_tracker(tracker: Tracker) -> Sender:
    """Identify the sender of a conversation from the channel slots set at session start."""
    channel, address = sender_identity(tracker)
    with session_scope(session_factory()) as session:
        return identify(session, channel, address)


def verified_tenancy(tracker: Tracker) -> str | None:
    """Return the tenancy the sender has proved they hold in this session, or None.

    The reference is kept in the `verified_tenancy` slot when the check succeeds, because a new sender who proved
    themselves with a one-time code is not necessarily findable from their address afterwards (an SMS number that
    is not the one on file is never linked to the tenancy).
    """
    if not tracker.get_slot("verified"):
        return None
    return tracker.get_slot("verified_tenancy") or identify_tracker(tracker).tenancy_reference


def tenancy_for_records(tracker: Tracker) -> str | None:
    """Return the tenancy a report from this sender is logged against: the verified one, else the identified one.

    Creating a record discloses nothing, so a known sender need not be verified for it; a new sender who verified
    with a one-time code is covered by the verified tenancy.
    """
    return verified_tenancy(tracker) or identify_tracker(tracker).tenancy_reference


def session_channel(metadata: dict[str, Any] | None, fallback_channel: str | None) -> tuple[str, str | None]:
    """Return (channel, address) from a message's metadata, as our channel adapters set it."""
    metadata = metadata or {}
    channel = str(metadata.get("channel") or fallback_channel or "rest")
    address = metadata.get("address")
    return channel, str(address) if address else None


class ActionSessionStart(Action):
    """Start a session: note the sender's channel and whether they are known, and load the landlord's facts."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Return the session-start events with channel, identity and landlord slots."""
        metadata = tracker.get_slot("session_started_metadata") or {}
        channel, address = session_channel(metadata, tracker.get_latest_input_channel())
        address = address or tracker.sender_id
        with session_scope(session_factory()) as session:
            sender = identify(session, channel, address)
        landlord = get_landlord()
        return [
            SessionStarted(),
            SlotSet("session_started_metadata", metadata or None),
            SlotSet("channel", channel),
            SlotSet("sender_address", address),
            SlotSet("identified", sender.known),
            SlotSet("verified", False),
            SlotSet("landlord_name", landlord.name),
            SlotSet("landlord_phone", landlord.phone),
            SlotSet("out_of_hours_phone", landlord.out_of_hours_phone),
            {"event": "action", "name": "action_listen"},
        ]


class VerifiedFormValidation(TenantFormValidation):
    """A form that first makes sure who the tenant is.

    `requires` is "verified" for forms that disclose or change personal data, and "identified" for forms that only
    create records against the tenancy (a repair report): a known sender needs no questions for those.
    """

    requires: ClassVar[str] = "verified"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Return the verification questions still to ask, then the form's own slots."""
        if tracker.get_slot("verification_blocked") or not can_verify(tracker):
            return []
        if tracker.get_slot("verified"):
            return list(domain_slots)
        known = bool(tracker.get_slot("identified"))
        if self.requires == "identified" and known:
            return list(domain_slots)
        return [*(KNOWN_SENDER_SLOTS if known else NEW_SENDER_SLOTS), *domain_slots]

    # -- known sender: one knowledge check ------------------------------------------------------------------

    async def validate_verification_answer(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Check a date of birth or postcode against the tenancy the sender's number belongs to."""
        if value == CHECKED:
            return {}
        text = str(value or "")
        today = datetime.now(timezone.utc).date()
        date_of_birth = parse_date(text, today=today, past=True)
        postcode = _postcode_in(text) if date_of_birth is None else None
        if date_of_birth is None and postcode is None:
            dispatcher.utter_message(response="utter_verification_hint_answer")
            return {"verification_answer": None}
        channel, address = sender_identity(tracker)
        with session_scope(session_factory()) as session:
            sender = identify(session, channel, address)
            if sender.tenancy_reference is None:
                return self._blocked(dispatcher, "verification_answer")
            outcome = verification.verify(
                session=session,
                channel=channel,
                address=address,
                tenancy_reference=sender.tenancy_reference,
                postcode=postcode,
                date_of_birth=date_of_birth,
                link=channel in PHONE_CHANNELS,
            )
        return self._outcome(outcome, dispatcher, ["verification_answer"])

    # -- new sender: reference, postcode, date of birth, then a code by SMS --------------------------------

    async def validate_tenancy_reference(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept a well-formed tenancy reference (whether it exists is checked with the other answers)."""
        try:
            return {"tenancy_reference": normalise_tenancy_reference(str(value or ""))}
        except InvalidTenancyReference:
            found = re.search(r"\btn\s*-?\s*\d{6}\b", str(value or ""), re.IGNORECASE)
            if found:
                return {"tenancy_reference": normalise_tenancy_reference(re.sub(r"[\s-]", "", found.group(0)))}
            dispatcher.utter_message(response="utter_verification_hint_reference")
            return {"tenancy_reference": None}

    async def validate_verify_postcode(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Accept a UK postcode in any spacing or case."""
        postcode = _postcode_in(str(value or ""))
        if postcode is None:
            dispatcher.utter_message(response="utter_verification_hint_postcode")
        return {"verify_postcode": postcode}

    async def validate_verify_dob(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Check reference, postcode and date of birth together, then send a one-time code to the number on file."""
        if value == CHECKED:
            return {}
        date_of_birth = parse_date(str(value or ""), today=datetime.now(timezone.utc).date(), past=True)
        if date_of_birth is None:
            dispatcher.utter_message(response="utter_verification_hint_dob")
            return {"verify_dob": None}
        channel, address = sender_identity(tracker)
        reference = tracker.get_slot("tenancy_reference")
        postcode = tracker.get_slot("verify_postcode")
        try:
            with session_scope(session_factory()) as session:
                outcome = verification.verify(
                    session=session,
                    channel=channel,
                    address=address,
                    tenancy_reference=str(reference),
                    postcode=str(postcode),
                    date_of_birth=date_of_birth,
                    link=False,
                )
                if outcome.verified:
                    sent = one_time_codes.issue(
                        session=session,
                        channel=channel,
                        address=address,
                        tenancy_reference=str(reference),
                        message_template=_response_text(domain, "utter_otp_sms").replace(
                            "{landlord_short_name}", get_landlord().short_name
                        ),
                    )
                    if not sent:
                        dispatcher.utter_message(
                            response="utter_verification_no_mobile", landlord_phone=get_landlord().phone
                        )
                        return {**self._reset_new_sender(), "verification_blocked": True}
                    return {"verify_dob": CHECKED}
        except HousingError:
            logger.exception("verification of a new sender failed")
            dispatcher.utter_message(response="utter_error_try_later")
            return {"verify_dob": None}
        return self._outcome(outcome, dispatcher, NEW_SENDER_SLOTS)

    async def validate_otp_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Check the one-time code; success verifies the sender and links a Telegram account to the tenancy."""
        code = re.sub(r"\D", "", str(value or ""))
        if len(code) != one_time_codes.CODE_LENGTH:
            dispatcher.utter_message(response="utter_verification_hint_code")
            return {"otp_code": None}
        channel, address = sender_identity(tracker)
        with session_scope(session_factory()) as session:
            outcome = one_time_codes.check(
                session=session,
                channel=channel,
                address=address,
                code=code,
                link=channel == Channel.TELEGRAM.value,
            )
        if outcome.verified:
            return self._outcome(outcome, dispatcher, NEW_SENDER_SLOTS)
        if outcome.locked_until is not None:
            return self._outcome(outcome, dispatcher, NEW_SENDER_SLOTS)
        dispatcher.utter_message(response="utter_verification_retry", attempts_left=outcome.attempts_remaining)
        return {"otp_code": None}

    # -- shared ----------------------------------------------------------------------------------------------

    def _outcome(
        self, outcome: verification.VerificationOutcome, dispatcher: CollectingDispatcher, slots: list[str]
    ) -> dict[str, Any]:
        if outcome.verified:
            dispatcher.utter_message(response="utter_verified", tenant_first_name=outcome.first_name or "")
            return {
                **{slot: CHECKED for slot in slots},
                "verified": True,
                "verified_tenancy": outcome.tenancy_reference,
                "tenant_first_name": outcome.first_name,
            }
        if outcome.locked_until is not None:
            return self._blocked(dispatcher, *slots)
        dispatcher.utter_message(response="utter_verification_retry", attempts_left=outcome.attempts_remaining)
        return {slot: None for slot in slots}

    @staticmethod
    def _reset_new_sender() -> dict[str, Any]:
        return {slot: None for slot in NEW_SENDER_SLOTS}

    @staticmethod
    def _blocked(dispatcher: CollectingDispatcher, *slots: str) -> dict[str, Any]:
        dispatcher.utter_message(response="utter_verification_locked", landlord_phone=get_landlord().phone)
        return {**{slot: None for slot in slots}, "verification_blocked": True}


def _postcode_in(text: str) -> str | None:
    found = POSTCODE_IN_TEXT.search(text)
    if not found:
        return None
    try:
        return normalise_postcode(found.group(0))
    except InvalidPostcode:
        return None


def can_verify(tracker: Tracker) -> bool:
    """Return whether the sender's channel carries an address that attempts can be recorded against.

    A REST caller that gives no channel metadata has no phone number or Telegram id, so it cannot be verified:
    it gets general help but no personal data.
    """
    channel, _ = sender_identity(tracker)
    return channel in SUPPORTED_CHANNELS


def _response_text(domain: DomainDict, name: str) -> str:
    variants = (domain.get("responses") or {}).get(name) or [{}]
    return str(variants[0].get("text") or "")
