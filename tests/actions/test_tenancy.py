"""Tenancy actions against the seeded demo housing database: notice, bereavement and contact details."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.tenancy import (
    ActionAskEndDate,
    ActionLogTenancyEnd,
    ActionUpdateContactDetails,
    ValidateContactDetailsForm,
    ValidateEndTenancyForm,
    end_reason_category,
    read_contact_detail,
    read_end_date,
    reports_bereavement,
)
from bot.clocks.calendar import local_date
from bot.housing import contact_changes, handoffs, tenancies, tenancy_ends
from bot.housing.db import session_scope
from bot.housing.enums import ContactField, HandoffReason, TenancyEndReason, Urgency
from bot.housing.errors import HousingError
from bot.landlord import get_landlord
from tests.support.actions import known_sms_slots, make_tracker, responses

STRANGER = "+447700900999"
REFERENCE = re.compile(r"^[A-Z]{3}-\d{6}[A-Z]$")
BEREAVEMENT = "my mum passed away last week, she was the tenant"


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


def today() -> date:
    return local_date(datetime.now(timezone.utc))


def earliest() -> date:
    return today() + timedelta(weeks=get_landlord().notice_period_weeks)


def in_words(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def end_requests(housing: Any) -> list[Any]:
    with session_scope(housing) as session:
        return [
            (request.reference, request.reason, request.end_date, request.tenancy_id)
            for request in tenancy_ends.list(session=session)
        ]


def tenancy_id(housing: Any, reference: str) -> int:
    with session_scope(housing) as session:
        return int(tenancies.get_or_raise(session=session, reference=reference).id)


def bereavement_tracker(slots: dict[str, Any], text: str = BEREAVEMENT) -> Any:
    return make_tracker(
        text=text,
        intent="end_tenancy",
        slots=slots,
        events=[user_event(text, "end_tenancy"), {"event": "active_loop", "name": "end_tenancy_form"}],
    )


# --- recognising a bereavement -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        BEREAVEMENT,
        "the tenant has died",
        "my brother was the tenant, he passed on sunday",
        "can we have extra time to empty dads flat after the funeral",
        "lost my grandad on tuesday, he had the tenancy",
        "I'm the executor of my late aunt's estate",
        "tenant deceased",
    ],
)
def test_reports_bereavement_recognises_a_death(text):
    assert reports_bereavement(text)


@pytest.mark.parametrize(
    "text", ["i want to give notice", "moving out end of month", "I passed my driving test", "", "🕊️", "x" * 5000]
)
def test_reports_bereavement_ignores_ordinary_notice_and_garbage(text):
    assert not reports_bereavement(text)


# --- end_tenancy_form ------------------------------------------------------------------------------------


async def test_end_tenancy_form_asks_nothing_and_checks_nothing_after_a_bereavement(housing, domain, dispatcher):
    tracker = bereavement_tracker(stranger_slots())
    events = slot_sets(await ValidateEndTenancyForm().run(dispatcher, tracker, domain))
    assert events == {"requested_slot": None}
    assert dispatcher.messages == []


async def test_end_tenancy_form_asks_a_known_sender_to_verify_before_notice(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(text="i want to give notice", intent="end_tenancy", slots=known_sms_slots(demo_tenant.phone))
    events = slot_sets(await ValidateEndTenancyForm().run(dispatcher, tracker, domain))
    assert events["requested_slot"] == "verification_answer"


async def test_end_tenancy_form_accepts_rather_not_say_as_the_reason(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="I'd rather not say",
        slots=known_sms_slots(demo_tenant.phone, verified=True, requested_slot="end_reason"),
        active_loop="end_tenancy_form",
    )
    events = slot_sets(await ValidateEndTenancyForm().run(dispatcher, tracker, domain))
    assert events["end_reason"] == "I'd rather not say"
    assert dispatcher.messages == []


def end_date_tracker(demo_tenant: Any, text: str) -> Any:
    return make_tracker(
        text=text,
        slots=known_sms_slots(demo_tenant.phone, verified=True, end_reason="moving", requested_slot="end_date"),
        active_loop="end_tenancy_form",
    )


async def test_end_tenancy_form_accepts_a_date_that_gives_full_notice(housing, domain, dispatcher, demo_tenant):
    wanted = earliest() + timedelta(days=3)
    tracker = end_date_tracker(demo_tenant, f"{wanted:%d/%m/%Y}")
    events = slot_sets(await ValidateEndTenancyForm().run(dispatcher, tracker, domain))
    assert events["end_date"] == wanted.isoformat()
    assert dispatcher.messages == []


async def test_end_tenancy_form_refuses_a_date_inside_the_notice_period(housing, domain, dispatcher, demo_tenant):
    too_soon = earliest() - timedelta(days=1)
    tracker = end_date_tracker(demo_tenant, f"{too_soon.day} {too_soon:%B %Y}")
    events = slot_sets(await ValidateEndTenancyForm().run(dispatcher, tracker, domain))
    assert events["end_date"] is None
    assert responses(dispatcher) == ["utter_end_date_too_soon"]
    text = text_of(dispatcher, domain, "utter_end_date_too_soon")
    assert f"{get_landlord().notice_period_weeks} weeks' notice" in text
    assert in_words(earliest()) in text


async def test_end_tenancy_form_refuses_a_date_in_the_past(housing, domain, dispatcher, demo_tenant):
    yesterday = today() - timedelta(days=1)
    tracker = end_date_tracker(demo_tenant, yesterday.isoformat())
    events = slot_sets(await ValidateEndTenancyForm().run(dispatcher, tracker, domain))
    assert events["end_date"] is None
    assert responses(dispatcher) == ["utter_end_date_too_soon"]


async def test_end_tenancy_form_refuses_a_date_more_than_a_year_away(housing, domain, dispatcher, demo_tenant):
    far = today() + timedelta(days=400)
    tracker = end_date_tracker(demo_tenant, far.isoformat())
    events = slot_sets(await ValidateEndTenancyForm().run(dispatcher, tracker, domain))
    assert events["end_date"] is None
    assert responses(dispatcher) == ["utter_end_date_too_far"]
    assert get_landlord().phone in text_of(dispatcher, domain, "utter_end_date_too_far")


@pytest.mark.parametrize("text", ["next month", "🗓️", "31/02/2027", "soon as possible " * 300, "tomorrow-ish"])
async def test_end_tenancy_form_explains_an_unreadable_date(housing, domain, dispatcher, demo_tenant, text):
    tracker = end_date_tracker(demo_tenant, text)
    events = slot_sets(await ValidateEndTenancyForm().run(dispatcher, tracker, domain))
    assert events["end_date"] is None
    assert responses(dispatcher) == ["utter_end_date_unreadable"]
    assert in_words(earliest()) in text_of(dispatcher, domain, "utter_end_date_unreadable")


def test_read_end_date_takes_a_day_and_month_without_a_year_as_the_next_one():
    assert read_end_date("31 January", date(2026, 11, 21)) == date(2027, 1, 31)
    assert read_end_date("the 20th of december please", date(2026, 11, 21)) == date(2026, 12, 20)
    assert read_end_date("1/1", date(2026, 11, 21)) == date(2027, 1, 1)


async def test_ask_end_date_says_the_notice_period_and_earliest_date(housing, domain, dispatcher):
    await ActionAskEndDate().run(dispatcher, make_tracker(), domain)
    text = text_of(dispatcher, domain, "utter_ask_end_date")
    assert f"We need {get_landlord().notice_period_weeks} weeks' notice" in text
    assert in_words(earliest()) in text


# --- action_log_tenancy_end: notice -----------------------------------------------------------------------


def notice_tracker(demo_tenant: Any, reason: str, end_date: date, **extra: Any) -> Any:
    return make_tracker(
        text=f"{end_date:%d/%m/%Y}",
        slots=known_sms_slots(demo_tenant.phone, verified=True, end_reason=reason, end_date=end_date.isoformat()),
        **extra,
    )


async def test_log_tenancy_end_records_notice_with_reference_and_end_date(housing, domain, dispatcher, demo_tenant):
    wanted = earliest() + timedelta(days=7)
    tracker = notice_tracker(demo_tenant, "we've bought a house", wanted)

    events = await ActionLogTenancyEnd().run(dispatcher, tracker, domain)

    assert slot_sets(events) == {"end_reason": None, "end_date": None}
    [(reference, reason, end_date, tenancy)] = end_requests(housing)
    assert (reason, end_date, tenancy) == (
        TenancyEndReason.MOVING,
        wanted,
        tenancy_id(housing, demo_tenant.tenancy_reference),
    )
    assert REFERENCE.match(reference)
    assert responses(dispatcher) == ["utter_end_tenancy_logged"]
    text = text_of(dispatcher, domain, "utter_end_tenancy_logged")
    assert reference in text and in_words(wanted) in text


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ("moving into a care home", TenancyEndReason.CARE),
        ("we're doing a mutual exchange", TenancyEndReason.TRANSFER),
        ("emigrating to Australia", TenancyEndReason.MOVING),
        ("I'd rather not say", TenancyEndReason.OTHER),
        ("🙂", TenancyEndReason.OTHER),
    ],
)
def test_end_reason_category_reads_the_tenants_words(words, reason):
    assert end_reason_category(words) is reason


async def test_log_tenancy_end_refuses_an_unverified_sender(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(text="give notice", slots=known_sms_slots(demo_tenant.phone))
    events = await ActionLogTenancyEnd().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_verification_needed"]
    assert slot_sets(events) == {"end_reason": None, "end_date": None}
    assert end_requests(housing) == []


async def test_log_tenancy_end_database_failure_keeps_the_answers(
    housing, domain, dispatcher, demo_tenant, monkeypatch
):
    def broken(**_: Any) -> None:
        raise HousingError("database unavailable")

    monkeypatch.setattr(tenancy_ends, "create", broken)
    events = await ActionLogTenancyEnd().run(
        dispatcher, notice_tracker(demo_tenant, "moving", earliest() + timedelta(days=1)), domain
    )
    assert events == []
    assert responses(dispatcher) == ["utter_error_try_later"]


async def test_log_tenancy_end_offers_a_complaint_when_the_reason_is_dissatisfaction_code_1_3(
    housing, domain, dispatcher, demo_tenant
):
    """Complaint Handling Code 1.3: leaving because of the service gets the offer of a complaint."""
    wanted = earliest() + timedelta(days=1)
    reason = "fed up, the damp has been reported three times and nobody came"
    tracker = make_tracker(
        text=f"{wanted:%d/%m/%Y}",
        slots=known_sms_slots(demo_tenant.phone, verified=True, end_reason=reason, end_date=wanted.isoformat()),
        events=[
            user_event("i want to give notice", "end_tenancy"),
            {"event": "active_loop", "name": "end_tenancy_form"},
            user_event(reason, "nlu_fallback"),
            user_event(f"{wanted:%d/%m/%Y}", "nlu_fallback"),
        ],
    )
    events = await ActionLogTenancyEnd().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_end_tenancy_logged", "utter_offer_complaint"]
    assert slot_sets(events)["offer"] == "complaint"


# --- action_log_tenancy_end: bereavement ------------------------------------------------------------------


async def test_bereavement_from_a_known_number_gets_condolences_a_person_and_an_end_request(
    housing, domain, dispatcher, demo_tenant
):
    tracker = bereavement_tracker(known_sms_slots(demo_tenant.phone))  # not verified: no check is asked for

    events = await ActionLogTenancyEnd().run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_bereavement_condolences"]
    assert slot_sets(events) == {"end_reason": None, "end_date": None}
    [(reference, reason, end_date, tenancy)] = end_requests(housing)
    assert reason is TenancyEndReason.BEREAVEMENT
    assert tenancy == tenancy_id(housing, demo_tenant.tenancy_reference)
    assert end_date == earliest()  # provisional, for staff to agree with the family
    with session_scope(housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=tracker.sender_id)
        assert handoff is not None
        assert handoff.reason == HandoffReason.BEREAVEMENT
        assert handoff.urgency == Urgency.HIGH
        assert handoff.tenancy_id is None  # the writer is not verified: the end request carries the tenancy
        assert reference in handoff.summary and "passed away" in handoff.summary


async def test_bereavement_from_a_stranger_gets_condolences_and_a_person_but_no_tenancy_record(
    housing, domain, dispatcher
):
    tracker = bereavement_tracker(stranger_slots(), text="my dad died, he lived at TN104233, what do we do")
    await ActionLogTenancyEnd().run(dispatcher, tracker, domain)

    assert responses(dispatcher) == ["utter_bereavement_condolences"]
    assert end_requests(housing) == []
    with session_scope(housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=tracker.sender_id)
        assert handoff is not None
        assert handoff.reason == HandoffReason.BEREAVEMENT
        assert handoff.tenancy_id is None


async def test_bereavement_without_a_tenant_channel_gives_condolences_and_our_number(housing, domain, dispatcher):
    tracker = bereavement_tracker({"channel": "rest", "sender_address": "someone"})
    await ActionLogTenancyEnd().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_bereavement_call_us"]
    assert get_landlord().phone in text_of(dispatcher, domain, "utter_bereavement_call_us")


async def test_bereavement_never_gets_an_automated_complaint_offer_but_staff_are_told(
    housing, domain, dispatcher, demo_tenant
):
    """Complaint Handling Code 1.3 is met by the person who calls, not by a button at such a time."""
    tracker = bereavement_tracker(
        known_sms_slots(demo_tenant.phone), text="my dad died last week and his repairs were never fixed, disgusting"
    )
    events = await ActionLogTenancyEnd().run(dispatcher, tracker, domain)
    assert "utter_offer_complaint" not in responses(dispatcher)
    assert "offer" not in slot_sets(events)
    with session_scope(housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=tracker.sender_id)
        assert handoff is not None and "complaint" in handoff.summary


async def test_bereavement_still_reaches_a_person_when_the_end_request_cannot_be_recorded(
    housing, domain, dispatcher, demo_tenant, monkeypatch
):
    def broken(**_: Any) -> None:
        raise HousingError("tenancy already ending")

    monkeypatch.setattr(tenancy_ends, "create", broken)
    tracker = bereavement_tracker(known_sms_slots(demo_tenant.phone))
    await ActionLogTenancyEnd().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_bereavement_condolences"]
    with session_scope(housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=tracker.sender_id)
        assert handoff is not None and "record it by hand" in handoff.summary


# --- contact_details_form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my new number is 07700 900123", (ContactField.PHONE, "+447700900123")),
        ("+44 (0)7700 900123", (ContactField.PHONE, "+447700900123")),
        ("Jo.Bloggs@Example.ORG", (ContactField.EMAIL, "Jo.Bloggs@example.org")),
        ("email me at jo@example.co.uk.", (ContactField.EMAIL, "jo@example.co.uk")),
        ("0113 496 0418", None),  # a landline is not a mobile
        ("+33 6 12 34 56 78", None),  # not a UK mobile
        ("07700 9001", None),
        ("jo at example dot com", None),
        ("", None),
        ("📱📱", None),
        ("9" * 5000, None),
    ],
)
def test_read_contact_detail_takes_a_uk_mobile_or_an_email(text, expected):
    assert read_contact_detail(text) == expected


async def test_contact_form_keeps_a_number_given_in_the_first_message_while_verifying(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="please update my number to 07700 900123",
        intent="update_contact_details",
        slots=known_sms_slots(demo_tenant.phone),
    )
    events = slot_sets(await ValidateContactDetailsForm().run(dispatcher, tracker, domain))
    assert events["new_contact_detail"] == "+447700900123"
    assert events["requested_slot"] == "verification_answer"


@pytest.mark.parametrize("text", ["0113 496 0418", "hello", "🙂", "a" * 5000])
async def test_contact_form_explains_an_invalid_detail(housing, domain, dispatcher, demo_tenant, text):
    tracker = make_tracker(
        text=text,
        slots=known_sms_slots(demo_tenant.phone, verified=True, requested_slot="new_contact_detail"),
        active_loop="contact_details_form",
    )
    events = slot_sets(await ValidateContactDetailsForm().run(dispatcher, tracker, domain))
    assert events["new_contact_detail"] is None
    assert responses(dispatcher) == ["utter_contact_detail_invalid"]


# --- action_update_contact_details ------------------------------------------------------------------------


def change_requests(housing: Any) -> list[Any]:
    with session_scope(housing) as session:
        return [
            (request.reference, request.field, request.new_value, request.tenant_id)
            for request in contact_changes.list(session=session)
        ]


async def test_update_contact_details_requests_the_change_and_quotes_the_reference(
    housing, domain, dispatcher, demo_tenant
):
    tracker = make_tracker(
        text="07700 900123",
        slots=known_sms_slots(demo_tenant.phone, verified=True, new_contact_detail="+447700900123"),
    )
    events = await ActionUpdateContactDetails().run(dispatcher, tracker, domain)

    assert slot_sets(events) == {"new_contact_detail": None}
    [(reference, field, value, _)] = change_requests(housing)
    assert (field, value) == (ContactField.PHONE, "+447700900123")
    text = text_of(dispatcher, domain, "utter_contact_details_logged")
    assert REFERENCE.match(reference) and reference in text
    assert "your mobile number to be updated to 07700 900123" in text


async def test_update_contact_details_takes_an_email(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="jo@example.org",
        slots=known_sms_slots(demo_tenant.phone, verified=True, new_contact_detail="jo@example.org"),
    )
    await ActionUpdateContactDetails().run(dispatcher, tracker, domain)
    [(_, field, value, _)] = change_requests(housing)
    assert (field, value) == (ContactField.EMAIL, "jo@example.org")
    assert "your email address to be updated to jo@example.org" in text_of(
        dispatcher, domain, "utter_contact_details_logged"
    )


async def test_update_contact_details_changes_the_joint_tenant_who_is_writing(housing, domain, dispatcher):
    with session_scope(housing) as session:
        joint = next(
            household
            for tenancy in tenancies.list(session=session, current_only=True)
            if len(household := tenancies.household(session=session, reference=tenancy.reference)) > 1
        )
        second_phone, second_id = joint[1].phone, joint[1].id
    tracker = make_tracker(
        text="jo@example.org", slots=known_sms_slots(second_phone, verified=True, new_contact_detail="jo@example.org")
    )
    await ActionUpdateContactDetails().run(dispatcher, tracker, domain)
    [(_, _, _, tenant)] = change_requests(housing)
    assert tenant == second_id


async def test_update_contact_details_refuses_an_unverified_sender(housing, domain, dispatcher, demo_tenant):
    tracker = make_tracker(
        text="07700 900123", slots=known_sms_slots(demo_tenant.phone, new_contact_detail="+447700900123")
    )
    events = await ActionUpdateContactDetails().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_verification_needed"]
    assert slot_sets(events) == {"new_contact_detail": None}
    assert change_requests(housing) == []


async def test_update_contact_details_refuses_a_stranger(housing, domain, dispatcher):
    tracker = make_tracker(text="07700 900123", slots=stranger_slots(verified=True, new_contact_detail="+447700900123"))
    await ActionUpdateContactDetails().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_verification_needed"]
    assert change_requests(housing) == []


async def test_update_contact_details_database_failure_keeps_the_detail(
    housing, domain, dispatcher, demo_tenant, monkeypatch
):
    def broken(**_: Any) -> None:
        raise HousingError("database unavailable")

    monkeypatch.setattr(contact_changes, "create", broken)
    tracker = make_tracker(
        text="07700 900123", slots=known_sms_slots(demo_tenant.phone, verified=True, new_contact_detail="+447700900123")
    )
    events = await ActionUpdateContactDetails().run(dispatcher, tracker, domain)
    assert events == []
    assert responses(dispatcher) == ["utter_error_try_later"]


async def test_bereavement_gives_our_number_when_no_person_can_be_queued(
    housing, domain, dispatcher, demo_tenant, monkeypatch
):
    monkeypatch.setattr("actions.tenancy.open_handoff", lambda *_, **__: None)
    await ActionLogTenancyEnd().run(dispatcher, bereavement_tracker(known_sms_slots(demo_tenant.phone)), domain)
    assert responses(dispatcher) == ["utter_bereavement_call_us"]
