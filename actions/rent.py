"""Rent: the balance for a verified tenant, how to pay, and help for a tenant struggling to pay.

Who learns what:

- The balance, weekly rent and due date are personal data: only a verified tenant hears them.
- The ways to pay are public. The payment reference ("TL104233") is added when the sender's number or Telegram
  account is on file for a current tenancy (identified, not necessarily verified): it is printed on rent cards and
  letters, and knowing it only lets money be paid in, never shows or moves anything, while asking for a full
  identity check just to pay would put tenants off paying. A stranger never learns whether a tenancy exists.
- Arrears help is open to anyone. For an identified tenancy the income team gets a task (a payment plan request,
  a money-advice callback or both); a stranger gets a person to call them back instead. Everyone is pointed to
  free, independent debt advice, whatever they chose.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import latest_text, phrasebook, session_factory
from actions.dissatisfaction import (
    dissatisfied_since,
    expresses_dissatisfaction,
    offer_complaint,
    tenant_messages_since,
)
from actions.formatting import day_in_words, money
from actions.forms import TenantFormValidation
from actions.handoff import open_handoff
from actions.identity import VerifiedFormValidation, tenancy_for_records, verified_tenancy
from bot.housing import income, rent, tenancies
from bot.housing.db import session_scope
from bot.housing.enums import HandoffReason, IncomeTaskKind
from bot.housing.errors import HousingError
from bot.housing.validation import mask_card_numbers
from bot.landlord import Landlord, get_landlord

logger = logging.getLogger(__name__)

PHRASES = "utter_rent_phrases"
PAYMENT_PLAN = "payment_plan"
CALLBACK = "callback"
BOTH = "both"
NEITHER = "neither"
ARREARS_SUPPORT_CHOICES = (PAYMENT_PLAN, CALLBACK, BOTH, NEITHER)
TASKS_FOR_CHOICE = {
    PAYMENT_PLAN: (IncomeTaskKind.PAYMENT_PLAN,),
    CALLBACK: (IncomeTaskKind.MONEY_ADVICE_CALLBACK,),
    BOTH: (IncomeTaskKind.PAYMENT_PLAN, IncomeTaskKind.MONEY_ADVICE_CALLBACK),
    NEITHER: (),
}
MAX_DETAILS_CHARS = 2000

# A masked card number as the channels leave it: at least eight asterisks (in groups or not) and the last four
# digits, e.g. "**** **** **** 1111" or "************1111".
_MASKED_CARD = re.compile(r"(?:\*[\s-]?){8,}\d{4}\b")
_BOTH = re.compile(r"\b(?:both|all\s+of\s+(?:it|them|that)|everything|the\s+lot|all\s+(?:the\s+)?help)\b")
_PLAN = re.compile(
    r"\b(?:payment\s+plan|plan|pay\s+(?:it|them|this|that)?\s*(?:off|back)|instal+ments?|arrangement"
    r"|spread\s+(?:it|the\s+cost|the\s+payments?)|(?:a\s+)?bit\s+(?:at\s+a\s+time|each\s+week|each\s+month)"
    r"|afford)\b"
)
_CALLBACK = re.compile(
    r"\b(?:call(?:\s*back)?|ring|phone|speak|talk|chat|advice|advi[sc]er|advisor|benefits?|money\s+advice)\b"
)
_NEITHER = re.compile(
    r"\b(?:neither|none|nothing|no|nope|nah|no\s+thanks?|not\s+(?:now|yet|today|at\s+the\s+moment|right\s+now)"
    r"|i'?m\s+(?:ok|fine|alright)|i'?ll\s+manage)\b"
)
# "no plan, just a call": a negated option is not asked for.
_NEGATED_OPTION = re.compile(
    r"\b(?:no|not|don'?t\s+(?:want|need)|without)\s+(?:a\s+|any\s+|the\s+)?"
    r"(?:payment\s+plan|plan|call(?:\s*back)?s?|phone\s+calls?|advice)\b"
)


def phrase(domain: DomainDict, key: str, **values: Any) -> str:
    """Return phrase `key` of this topic's phrasebook in the domain, with `values` filled in."""
    return phrasebook(domain, PHRASES, key, **values)


def balance_text(domain: DomainDict, balance: Decimal) -> str:
    """Return the balance in plain words: what is owed, what is in credit, or that nothing is owed."""
    if balance > 0:
        return phrase(domain, "balance_arrears", amount=money(balance))
    if balance < 0:
        return phrase(domain, "balance_credit", amount=money(balance))
    return phrase(domain, "balance_clear")


def payment_methods_text(landlord: Landlord) -> str:
    """Return the landlord's ways to pay, one per line ("- Online: Pay any time ...")."""
    return "\n".join(f"- {method.name}: {' '.join(method.how.split())}" for method in landlord.payment_methods)


def advice_services_text(landlord: Landlord) -> str:
    """Return the free advice services on one line: name, phone and website of each."""
    services = []
    for service in landlord.money_advice:
        website = re.sub(r"^https?://(?:www\.)?", "", service.website).rstrip("/")
        services.append(f"{service.name} {service.phone} ({website})")
    return "; ".join(services)


def sent_card_number(tracker: Tracker) -> bool:
    """Return True when the latest message held a payment card number.

    The channels mask card numbers before Rasa sees the text and say so in the message metadata
    (`card_number_masked`), which Rasa 3.6 passes to actions in `latest_message["metadata"]`. The text is also
    checked, for masked digits and for a card number a channel failed to mask.
    """
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get("card_number_masked"):
        return True
    text = latest_text(tracker)
    return bool(_MASKED_CARD.search(text)) or mask_card_numbers(text) != text


def read_arrears_support(text: str) -> str | None:
    """Read which help a tenant in arrears wants from a button payload or free text.

    Returns:
        payment_plan, callback, both or neither; None when the text says none of them.
    """
    lowered = " ".join(str(text or "").lower().replace("\u2019", "'").split())
    if not lowered:
        return None
    if _BOTH.search(lowered):
        return BOTH
    wanted = _NEGATED_OPTION.sub(" ", lowered)
    plan = bool(_PLAN.search(wanted))
    call = bool(_CALLBACK.search(wanted))
    if plan and call:
        return BOTH
    if plan:
        return PAYMENT_PLAN
    if call:
        return CALLBACK
    if _NEITHER.search(lowered):
        return NEITHER
    return None


class ValidateRentBalanceForm(VerifiedFormValidation):
    """No questions of its own: the balance is personal data, so the form only verifies the tenant."""

    form = "rent_balance_form"
    requires = "verified"


class ActionRentBalance(Action):
    """Tell a verified tenant their balance, weekly rent and next due date."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_rent_balance"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send the balance in plain words, or ask the sender to verify first."""
        landlord = get_landlord()
        tenancy = verified_tenancy(tracker)
        if tenancy is None:
            dispatcher.utter_message(response="utter_verification_needed", landlord_phone=landlord.phone)
            return []
        try:
            with session_scope(session_factory()) as session:
                found = rent.summary(session=session, tenancy_reference=tenancy)
        except (HousingError, SQLAlchemyError):
            logger.exception("could not read the rent balance")
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=landlord.phone)
            return []
        dispatcher.utter_message(
            response="utter_rent_balance",
            tenancy_reference=found.tenancy_reference,
            balance_text=balance_text(domain, found.balance),
            weekly_rent=money(found.weekly_rent),
            next_due=day_in_words(found.next_due_date),
        )
        if found.arrears > 0:
            dispatcher.utter_message(response="utter_rent_arrears_help_offer")
        if dissatisfied_since(tracker, ["ask_rent_balance"]):
            return offer_complaint(dispatcher)
        return []


class ActionPayRent(Action):
    """Tell the tenant how to pay, with their payment reference when their number is on file."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_pay_rent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Send the ways to pay, the payment reference if identified, and a warning if a card number was sent."""
        landlord = get_landlord()
        dispatcher.utter_message(response="utter_pay_rent_methods", methods=payment_methods_text(landlord))
        payment_reference = self._payment_reference(tracker)
        if payment_reference is not None:
            dispatcher.utter_message(response="utter_pay_rent_reference", payment_reference=payment_reference)
        if sent_card_number(tracker):
            dispatcher.utter_message(response="utter_card_number_masked")
        if expresses_dissatisfaction(latest_text(tracker)):
            return offer_complaint(dispatcher)
        return []

    @staticmethod
    def _payment_reference(tracker: Tracker) -> str | None:
        try:
            tenancy = tenancy_for_records(tracker)
            if tenancy is None:
                return None
            with session_scope(session_factory()) as session:
                return tenancies.get_or_raise(session=session, reference=tenancy).payment_reference
        except (HousingError, SQLAlchemyError):
            # The ways to pay are the main answer; without the reference the tenant can still pay and quote
            # their tenancy reference.
            logger.exception("could not read the payment reference")
            return None


class ValidateArrearsForm(TenantFormValidation):
    """Ask which help a tenant struggling with rent wants: a payment plan, a money-advice call, both or neither."""

    form = "arrears_form"

    async def validate_arrears_support(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Map the answer to payment_plan, callback, both or neither; otherwise say how to answer and ask again."""
        choice = str(value) if value in ARREARS_SUPPORT_CHOICES else read_arrears_support(str(value or ""))
        if choice is None:
            dispatcher.utter_message(response="utter_arrears_support_unclear")
        return {"arrears_support": choice}


class ActionLogArrearsRequest(Action):
    """Ask the income team for the help the tenant chose, and point them to free advice whatever they chose."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_log_arrears_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Create the income-team tasks (or a call back for a stranger), then signpost free advice."""
        landlord = get_landlord()
        choice = tracker.get_slot("arrears_support")
        clear: list[EventType] = [SlotSet("arrears_support", None)]
        if choice not in ARREARS_SUPPORT_CHOICES:
            return clear  # the form was stopped before the tenant chose; nothing to log
        if choice == NEITHER:
            dispatcher.utter_message(response="utter_arrears_no_action")
        else:
            try:
                response, values = self._ask_for_help(tracker, domain, str(choice))
            except (HousingError, SQLAlchemyError):
                logger.exception("could not log an arrears request")
                dispatcher.utter_message(response="utter_error_try_later", landlord_phone=landlord.phone)
                self._free_advice(dispatcher, landlord)
                return []  # keep the choice so nothing the tenant said is lost
            dispatcher.utter_message(response=response, **values)
        self._free_advice(dispatcher, landlord)
        if dissatisfied_since(tracker, ["rent_arrears_help"]):
            return [*clear, *offer_complaint(dispatcher)]
        return clear

    @staticmethod
    def _ask_for_help(tracker: Tracker, domain: DomainDict, choice: str) -> tuple[str, dict[str, Any]]:
        """Write the tasks and queue a person as needed; return the response to send once they are committed."""
        said = tenant_messages_since(tracker, ["rent_arrears_help"])
        details = "\n".join(said)[:MAX_DETAILS_CHARS] or None
        support_text = phrase(domain, f"support_{choice}")
        verified = verified_tenancy(tracker)
        tenancy = tenancy_for_records(tracker)
        if tenancy is None:
            summary = f"Rent arrears help ({support_text}) asked for by a sender not matched to a tenancy."
            reference = open_handoff(
                tracker,
                reason=HandoffReason.ARREARS_CALLBACK,
                summary=f"{summary}\n{details}" if details else summary,
            )
            if reference is None:  # no channel staff can answer on, or the database is down
                return "utter_arrears_call_us", {"landlord_phone": get_landlord().phone}
            return "utter_arrears_no_tenancy", {}
        with session_scope(session_factory()) as session:
            tasks = [
                income.create(
                    session=session,
                    tenancy_reference=tenancy,
                    kind=kind,
                    details=details,
                    actor=f"tenant:{tracker.sender_id}",
                )
                for kind in TASKS_FOR_CHOICE[choice]
            ]
            references = " and ".join(task.reference for task in tasks)
            contact_by: date = min(task.due_by for task in tasks)
        if choice in (CALLBACK, BOTH):
            # The callback task is the income team's work item; the handoff also puts the conversation in front of
            # staff so the tenant can be answered here. If it fails, the task still gets them called.
            open_handoff(
                tracker,
                reason=HandoffReason.ARREARS_CALLBACK,
                summary=f"Rent arrears: money advice callback requested ({references}).",
                link_tenancy=verified is not None,
            )
        return "utter_arrears_logged", {
            "support_text": support_text,
            "reference": references,
            "contact_by": day_in_words(contact_by),
        }

    @staticmethod
    def _free_advice(dispatcher: CollectingDispatcher, landlord: Landlord) -> None:
        advice = advice_services_text(landlord)
        if advice:
            dispatcher.utter_message(response="utter_arrears_free_advice", advice=advice)
