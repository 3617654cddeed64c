"""Rent actions against the seeded demo housing database: balance, paying, and help with arrears."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.rent import (
    ActionLogArrearsRequest,
    ActionPayRent,
    ActionRentBalance,
    ValidateArrearsForm,
    ValidateRentBalanceForm,
    read_arrears_support,
)
from bot.housing import handoffs, income, rent, tenancies
from bot.housing.db import session_scope
from bot.housing.enums import HandoffReason, IncomeTaskKind
from bot.housing.errors import HousingError
from bot.landlord import get_landlord
from tests.support.actions import known_sms_slots, make_tracker, responses

STRANGER = "+447700900999"
REFERENCE = re.compile(r"^[A-Z]{3}-\d{6}[A-Z]$")


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def message(dispatcher: CollectingDispatcher, name: str) -> dict[str, Any]:
    found = [sent for sent in dispatcher.messages if sent.get("response") == name]
    assert found, f"{name} was not sent; sent {responses(dispatcher)}"
    return found[0]


def text_of(dispatcher: CollectingDispatcher, domain: dict[str, Any], name: str) -> str:
    """Return what the tenant reads: the response filled with the values the action sent (all must be given)."""
    values = {key: value for key, value in message(dispatcher, name).items() if value is not None}
    return str(domain["responses"][name][0]["text"]).format(**values)


def stranger_slots(**extra: Any) -> dict[str, Any]:
    return {"channel": "sms", "sender_address": STRANGER, "identified": False, "verified": False, **extra}


def user_event(text: str, intent: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.95}}}


def set_balance(housing: Any, tenancy: str, wanted: Decimal) -> None:
    """Post a charge or a payment so the account's balance becomes `wanted`."""
    with session_scope(housing) as session:
        current = rent.summary(session=session, tenancy_reference=tenancy).balance
        if wanted > current:
            rent.post_charge(
                session=session, tenancy_reference=tenancy, amount=wanted - current, effective_on=date.today()
            )
        elif wanted < current:
            rent.post_payment(session=session, tenancy_reference=tenancy, amount=current - wanted, method="card")


# --- rent_balance_form: verification only ------------------------------------------------------------------


async def test_rent_balance_form_asks_a_known_unverified_sender_one_identity_question(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="how much do i owe", intent="ask_rent_balance", slots=known_sms_slots(demo_tenant.phone)
    )
    events = slot_sets(await ValidateRentBalanceForm().run(dispatcher, tracker, domain))
    assert events["requested_slot"] == "verification_answer"


async def test_rent_balance_form_asks_a_stranger_for_a_tenancy_reference(housing, domain, dispatcher):
    tracker = make_tracker(text="what's my balance", intent="ask_rent_balance", slots=stranger_slots())
    events = slot_sets(await ValidateRentBalanceForm().run(dispatcher, tracker, domain))
    assert events["requested_slot"] == "tenancy_reference"


async def test_rent_balance_form_asks_nothing_of_a_verified_tenant(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="how much do i owe", intent="ask_rent_balance", slots=known_sms_slots(demo_tenant.phone, verified=True)
    )
    events = slot_sets(await ValidateRentBalanceForm().run(dispatcher, tracker, domain))
    assert events.get("requested_slot") is None
    assert dispatcher.messages == []


# --- action_rent_balance ----------------------------------------------------------------------------------


async def test_rent_balance_tells_a_verified_tenant_arrears_weekly_rent_and_next_due_date(
    housing, domain, dispatcher, demo_tenant
):
    with session_scope(housing) as session:
        summary = rent.summary(session=session, tenancy_reference=demo_tenant.tenancy_reference)
    assert summary.balance > 0  # the demo tenant has two weeks of arrears
    tracker = make_tracker(text="14/03/1986", slots=known_sms_slots(demo_tenant.phone, verified=True))

    events = await ActionRentBalance().run(dispatcher, tracker, domain)

    assert events == []
    assert responses(dispatcher) == ["utter_rent_balance", "utter_rent_arrears_help_offer"]
    text = text_of(dispatcher, domain, "utter_rent_balance")
    assert demo_tenant.tenancy_reference in text
    assert f"you owe £{summary.balance:,.2f}" in text
    assert f"Your rent is £{summary.weekly_rent:,.2f} a week" in text
    assert f"{summary.next_due_date:%A} {summary.next_due_date.day} {summary.next_due_date:%B}" in text


async def test_rent_balance_formats_money_with_pounds_and_thousands(housing, domain, dispatcher, demo_tenant):
    set_balance(housing, demo_tenant.tenancy_reference, Decimal("1234.56"))
    tracker = make_tracker(text="balance", slots=known_sms_slots(demo_tenant.phone, verified=True))
    await ActionRentBalance().run(dispatcher, tracker, domain)
    assert "you owe £1,234.56" in text_of(dispatcher, domain, "utter_rent_balance")


async def test_rent_balance_says_credit_in_plain_words(housing, domain, dispatcher, demo_tenant):
    set_balance(housing, demo_tenant.tenancy_reference, Decimal("-12.40"))
    tracker = make_tracker(text="balance", slots=known_sms_slots(demo_tenant.phone, verified=True))
    await ActionRentBalance().run(dispatcher, tracker, domain)
    text = text_of(dispatcher, domain, "utter_rent_balance")
    assert "you are £12.40 in credit" in text
    assert "-£" not in text and "£-" not in text  # credit is said in words, never as a negative amount
    assert responses(dispatcher) == ["utter_rent_balance"]  # no offer of arrears help when in credit


async def test_rent_balance_says_an_up_to_date_account_owes_nothing(housing, domain, dispatcher, demo_tenant):
    set_balance(housing, demo_tenant.tenancy_reference, Decimal("0"))
    tracker = make_tracker(text="balance", slots=known_sms_slots(demo_tenant.phone, verified=True))
    await ActionRentBalance().run(dispatcher, tracker, domain)
    assert "up to date, with nothing owed" in text_of(dispatcher, domain, "utter_rent_balance")


async def test_rent_balance_is_refused_to_a_known_but_unverified_sender(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(text="how much do i owe", slots=known_sms_slots(demo_tenant.phone))
    events = await ActionRentBalance().run(dispatcher, tracker, domain)
    assert events == []
    assert responses(dispatcher) == ["utter_verification_needed"]
    assert message(dispatcher, "utter_verification_needed")["landlord_phone"] == get_landlord().phone


async def test_rent_balance_is_refused_to_a_stranger_whose_verified_slot_is_set(housing, domain, dispatcher):
    # A verified flag alone proves nothing: the number must belong to a tenancy.
    tracker = make_tracker(text="balance", slots=stranger_slots(verified=True))
    await ActionRentBalance().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_verification_needed"]
    assert not any("£" in str(value) for sent in dispatcher.messages for value in sent.values())


async def test_rent_balance_offers_a_complaint_when_the_tenant_is_unhappy_code_1_3(
    housing, domain, dispatcher, demo_tenant
):
    """Complaint Handling Code 1.3: dissatisfaction, even before verification, gets the offer of a complaint."""
    tracker = make_tracker(
        text="14/03/1986",
        slots=known_sms_slots(demo_tenant.phone, verified=True),
        events=[
            user_event("how much do i owe? you've charged me twice, this is a joke", "ask_rent_balance"),
            {"event": "active_loop", "name": "rent_balance_form"},
            user_event("14/03/1986", "nlu_fallback"),
        ],
    )
    events = await ActionRentBalance().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[-1] == "utter_offer_complaint"
    assert slot_sets(events) == {"offer": "complaint"}


async def test_rent_balance_database_failure_says_try_later(housing, domain, dispatcher, demo_tenant, monkeypatch):
    def broken(**_: Any) -> None:
        raise HousingError("database unavailable")

    monkeypatch.setattr(rent, "summary", broken)
    tracker = make_tracker(text="balance", slots=known_sms_slots(demo_tenant.phone, verified=True))
    await ActionRentBalance().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_error_try_later"]


# --- action_pay_rent --------------------------------------------------------------------------------------


async def test_pay_rent_lists_every_way_to_pay_from_landlord_file(housing, domain, dispatcher):
    tracker = make_tracker(text="how do i pay my rent", intent="pay_rent", slots=stranger_slots())
    events = await ActionPayRent().run(dispatcher, tracker, domain)
    assert events == []
    text = text_of(dispatcher, domain, "utter_pay_rent_methods")
    for method in get_landlord().payment_methods:
        assert f"- {method.name}: " in text
    assert "never ask for card details" in text


async def test_pay_rent_gives_an_identified_tenant_their_payment_reference(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(text="how do i pay", intent="pay_rent", slots=known_sms_slots(demo_tenant.phone))
    await ActionPayRent().run(dispatcher, tracker, domain)
    with session_scope(housing) as session:
        expected = tenancies.get_or_raise(session=session, reference=demo_tenant.tenancy_reference).payment_reference
    assert responses(dispatcher) == ["utter_pay_rent_methods", "utter_pay_rent_reference"]
    assert message(dispatcher, "utter_pay_rent_reference")["payment_reference"] == expected == "TL104233"


async def test_pay_rent_gives_a_stranger_no_payment_reference(housing, domain, dispatcher):
    tracker = make_tracker(text="how do i pay TN104233", intent="pay_rent", slots=stranger_slots())
    await ActionPayRent().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_pay_rent_methods"]
    assert "TL104233" not in str(dispatcher.messages)


async def test_pay_rent_warns_when_the_channel_masked_a_card_number(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="can i pay with **** **** **** 1111",
        intent="pay_rent",
        slots=known_sms_slots(demo_tenant.phone),
        extra_message={"metadata": {"card_number_masked": True}},
    )
    await ActionPayRent().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_pay_rent_methods", "utter_pay_rent_reference", "utter_card_number_masked"]


@pytest.mark.parametrize(
    "text",
    ["pay with ************1111 exp 12/27", "my card is 4111 1111 1111 1111", "card 4111-1111-1111-1111 please"],
)
async def test_pay_rent_warns_about_card_digits_in_the_text_without_metadata(housing, domain, dispatcher, text):
    tracker = make_tracker(text=text, intent="pay_rent", slots=stranger_slots())
    await ActionPayRent().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[-1] == "utter_card_number_masked"


@pytest.mark.parametrize("text", ["how do i pay, my number is 07700 900123", "pay TN104233", "", "💷💷💷", "x" * 5000])
async def test_pay_rent_does_not_warn_about_cards_for_other_numbers_or_garbage(housing, domain, dispatcher, text):
    tracker = make_tracker(text=text, intent="pay_rent", slots=stranger_slots())
    await ActionPayRent().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_pay_rent_methods"]


async def test_pay_rent_offers_a_complaint_when_the_tenant_is_unhappy_code_1_3(housing, domain, dispatcher):
    """Complaint Handling Code 1.3: "fed up" while asking how to pay gets the offer of a complaint."""
    tracker = make_tracker(text="fed up, the payment line is useless", intent="pay_rent", slots=stranger_slots())
    events = await ActionPayRent().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[-1] == "utter_offer_complaint"
    assert slot_sets(events) == {"offer": "complaint"}


# --- arrears_form -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("payment plan", "payment_plan"),  # the buttons' payloads
        ("money advice call", "callback"),
        ("both", "both"),
        ("neither", "neither"),
        ("Neither for now", "neither"),
        ("could I pay it off bit by bit", "payment_plan"),
        ("can someone ring me please", "callback"),
        ("I need advice and a plan", "both"),
        ("no plan, just a call", "callback"),
        ("not now thanks", "neither"),
        ("no", "neither"),
        ("yes please", None),
        ("", None),
        ("🙂🙂", None),
        ("asdfgh " * 700, None),
    ],
)
def test_read_arrears_support_maps_payloads_and_free_text(text, expected):
    assert read_arrears_support(text) == expected


async def test_arrears_form_takes_a_button_payload(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="money advice call",
        slots=known_sms_slots(demo_tenant.phone, requested_slot="arrears_support"),
        active_loop="arrears_form",
    )
    events = slot_sets(await ValidateArrearsForm().run(dispatcher, tracker, domain))
    assert events["arrears_support"] == "callback"
    assert dispatcher.messages == []


async def test_arrears_form_needs_no_identity_check(housing, domain, dispatcher):
    tracker = make_tracker(text="i can't pay my rent", intent="rent_arrears_help", slots=stranger_slots())
    events = slot_sets(await ValidateArrearsForm().run(dispatcher, tracker, domain))
    assert "tenancy_reference" not in events.values()


@pytest.mark.parametrize("text", ["yes please", "🙂", "blah " * 1000, "12345"])
async def test_arrears_form_explains_and_asks_again_for_an_unclear_answer(housing, domain, dispatcher, text):
    tracker = make_tracker(
        text=text, slots=stranger_slots(requested_slot="arrears_support"), active_loop="arrears_form"
    )
    events = slot_sets(await ValidateArrearsForm().run(dispatcher, tracker, domain))
    assert events["arrears_support"] is None
    assert responses(dispatcher) == ["utter_arrears_support_unclear"]


async def test_arrears_form_ignores_an_empty_message(housing, domain, dispatcher):
    tracker = make_tracker(
        text="  ", slots=stranger_slots(requested_slot="arrears_support"), active_loop="arrears_form"
    )
    events = slot_sets(await ValidateArrearsForm().run(dispatcher, tracker, domain))
    assert "arrears_support" not in events
    assert dispatcher.messages == []


# --- action_log_arrears_request ---------------------------------------------------------------------------


def arrears_tracker(slots: dict[str, Any], choice: str, trigger: str = "i'm behind on my rent") -> Any:
    return make_tracker(
        text=choice,
        slots={**slots, "arrears_support": choice},
        events=[
            user_event(trigger, "rent_arrears_help"),
            {"event": "active_loop", "name": "arrears_form"},
            user_event(choice, "nlu_fallback"),
        ],
    )


def open_tasks(housing: Any, tenancy: str) -> list[Any]:
    with session_scope(housing) as session:
        found = income.list(session=session, tenancy_reference=tenancy)
        return [(task.reference, task.kind, task.details, task.due_by) for task in found]


async def test_arrears_payment_plan_creates_an_income_task_and_signposts_free_advice(
    housing, domain, dispatcher, demo_tenant
):
    tracker = arrears_tracker(known_sms_slots(demo_tenant.phone), "payment_plan")
    events = await ActionLogArrearsRequest().run(dispatcher, tracker, domain)

    assert slot_sets(events) == {"arrears_support": None}
    tasks = open_tasks(housing, demo_tenant.tenancy_reference)
    assert [kind for _, kind, _, _ in tasks] == [IncomeTaskKind.PAYMENT_PLAN]
    reference, _, details, due_by = tasks[0]
    assert "behind on my rent" in details
    assert responses(dispatcher) == ["utter_arrears_logged", "utter_arrears_free_advice"]
    logged = text_of(dispatcher, domain, "utter_arrears_logged")
    assert REFERENCE.match(reference) and reference in logged
    assert "a payment plan" in logged
    assert f"{due_by:%A} {due_by.day} {due_by:%B}" in logged
    advice = text_of(dispatcher, domain, "utter_arrears_free_advice")
    for service in get_landlord().money_advice:
        assert service.name in advice and service.phone in advice
    with session_scope(housing) as session:
        assert handoffs.get_open(session=session, sender_id=tracker.sender_id) is None


async def test_arrears_callback_creates_a_callback_task_and_a_handoff_for_the_verified_tenancy(
    housing, domain, dispatcher, demo_tenant
):
    tracker = arrears_tracker(known_sms_slots(demo_tenant.phone, verified=True), "callback")
    await ActionLogArrearsRequest().run(dispatcher, tracker, domain)

    tasks = open_tasks(housing, demo_tenant.tenancy_reference)
    assert [kind for _, kind, _, _ in tasks] == [IncomeTaskKind.MONEY_ADVICE_CALLBACK]
    with session_scope(housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=tracker.sender_id)
        tenancy_id = tenancies.get_or_raise(session=session, reference=demo_tenant.tenancy_reference).id
        assert handoff is not None
        assert handoff.reason == HandoffReason.ARREARS_CALLBACK
        assert handoff.tenancy_id == tenancy_id
        assert tasks[0][0] in handoff.summary
    assert "a call from our money advice team" in text_of(dispatcher, domain, "utter_arrears_logged")


async def test_arrears_callback_from_an_unverified_number_does_not_link_the_handoff_to_the_tenancy(
    housing, domain, dispatcher, demo_tenant
):
    # Staff must not take the tenancy on the handoff as proof of who is writing: the task carries the tenancy.
    tracker = arrears_tracker(known_sms_slots(demo_tenant.phone), "callback")
    await ActionLogArrearsRequest().run(dispatcher, tracker, domain)
    assert [kind for _, kind, _, _ in open_tasks(housing, demo_tenant.tenancy_reference)] == [
        IncomeTaskKind.MONEY_ADVICE_CALLBACK
    ]
    with session_scope(housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=tracker.sender_id)
        assert handoff is not None and handoff.tenancy_id is None


async def test_arrears_both_creates_two_tasks_and_quotes_both_references(housing, domain, dispatcher, demo_tenant):
    tracker = arrears_tracker(known_sms_slots(demo_tenant.phone), "both")
    await ActionLogArrearsRequest().run(dispatcher, tracker, domain)

    tasks = open_tasks(housing, demo_tenant.tenancy_reference)
    assert sorted(kind.value for _, kind, _, _ in tasks) == ["money_advice_callback", "payment_plan"]
    logged = text_of(dispatcher, domain, "utter_arrears_logged")
    assert all(reference in logged for reference, _, _, _ in tasks)
    # The earlier of the two due dates is the one promised: the callback, due within 2 working days.
    soonest = min(due for _, _, _, due in tasks)
    assert f"{soonest:%A} {soonest.day} {soonest:%B}" in logged
    with session_scope(housing) as session:
        assert handoffs.get_open(session=session, sender_id=tracker.sender_id) is not None


async def test_arrears_neither_logs_nothing_but_still_signposts_free_advice(housing, domain, dispatcher, demo_tenant):
    tracker = arrears_tracker(known_sms_slots(demo_tenant.phone), "neither")
    events = await ActionLogArrearsRequest().run(dispatcher, tracker, domain)
    assert slot_sets(events) == {"arrears_support": None}
    assert responses(dispatcher) == ["utter_arrears_no_action", "utter_arrears_free_advice"]
    assert open_tasks(housing, demo_tenant.tenancy_reference) == []


async def test_arrears_stranger_gets_a_call_back_and_free_advice_but_no_tenancy_data(housing, domain, dispatcher):
    tracker = arrears_tracker(stranger_slots(), "payment_plan", trigger="I can't pay my rent, I'm at TN104233")
    await ActionLogArrearsRequest().run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_arrears_no_tenancy", "utter_arrears_free_advice"]
    with session_scope(housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=tracker.sender_id)
        assert handoff is not None
        assert handoff.reason == HandoffReason.ARREARS_CALLBACK
        assert handoff.tenancy_id is None
        assert "TN104233" in handoff.summary  # what they said reaches staff
    assert open_tasks(housing, "TN104233") == []
    assert "TL104233" not in str(dispatcher.messages) and "INC-" not in str(dispatcher.messages)


async def test_arrears_without_a_tenant_channel_asks_the_caller_to_phone(housing, domain, dispatcher):
    tracker = arrears_tracker({"channel": "rest", "sender_address": "someone"}, "callback")
    await ActionLogArrearsRequest().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_arrears_call_us", "utter_arrears_free_advice"]
    assert message(dispatcher, "utter_arrears_call_us")["landlord_phone"] == get_landlord().phone


async def test_arrears_database_failure_keeps_the_choice_and_still_signposts_advice(
    housing, domain, dispatcher, demo_tenant, monkeypatch
):
    def broken(**_: Any) -> None:
        raise HousingError("database unavailable")

    monkeypatch.setattr(income, "create", broken)
    tracker = arrears_tracker(known_sms_slots(demo_tenant.phone), "payment_plan")
    events = await ActionLogArrearsRequest().run(dispatcher, tracker, domain)
    assert events == []  # arrears_support is kept, nothing the tenant said is lost
    assert responses(dispatcher) == ["utter_error_try_later", "utter_arrears_free_advice"]


async def test_arrears_stopped_form_logs_nothing(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(text="cancel", slots=known_sms_slots(demo_tenant.phone))
    events = await ActionLogArrearsRequest().run(dispatcher, tracker, domain)
    assert slot_sets(events) == {"arrears_support": None}
    assert dispatcher.messages == []
    assert open_tasks(housing, demo_tenant.tenancy_reference) == []


async def test_arrears_request_offers_a_complaint_when_the_tenant_is_unhappy_code_1_3(
    housing, domain, dispatcher, demo_tenant
):
    """Complaint Handling Code 1.3: dissatisfaction said when asking for help gets the offer of a complaint."""
    tracker = arrears_tracker(
        known_sms_slots(demo_tenant.phone),
        "payment_plan",
        trigger="I'm behind because my benefits were stopped and nobody rang me back",
    )
    events = await ActionLogArrearsRequest().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_arrears_logged", "utter_arrears_free_advice", "utter_offer_complaint"]
    assert slot_sets(events) == {"arrears_support": None, "offer": "complaint"}
