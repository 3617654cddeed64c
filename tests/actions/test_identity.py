"""Verification before personal data: known senders, new senders with a one-time code, lock-out, strangers."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from actions.identity import ActionSessionStart, identify
from actions.repairs import ValidateRepairStatusForm
from bot.housing import outbox, verification
from bot.housing.db import session_scope
from tests.support.actions import known_sms_slots, make_tracker, responses

STRANGER = "+447700900999"


def slot_sets(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def answer(domain, slots: dict[str, Any], text: str) -> tuple[dict[str, Any], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, intent="affirm", slots=slots, active_loop="repair_status_form")
    events = slot_sets(await ValidateRepairStatusForm().run(dispatcher, tracker, domain))
    return events, dispatcher


async def test_session_start_marks_a_tenants_number_as_identified_but_not_verified(housing, domain, demo_tenant):
    tracker = make_tracker(slots={"session_started_metadata": {"channel": "sms", "address": demo_tenant.phone}})
    events = slot_sets(await ActionSessionStart().run(CollectingDispatcher(), tracker, domain))
    assert events["channel"] == "sms"
    assert events["identified"] is True
    assert events["verified"] is False
    assert events["landlord_phone"]


async def test_session_start_identifies_nobody_for_an_unknown_number(housing, domain):
    tracker = make_tracker(slots={"session_started_metadata": {"channel": "sms", "address": STRANGER}})
    events = slot_sets(await ActionSessionStart().run(CollectingDispatcher(), tracker, domain))
    assert events["identified"] is False


def test_identify_ignores_a_malformed_address(housing):
    with session_scope(housing) as session:
        assert identify(session, "sms", "not a number").known is False


async def test_known_sender_is_asked_one_knowledge_check(housing, domain, demo_tenant):
    events, _ = await answer(domain, known_sms_slots(demo_tenant.phone), "what's happening with my repair")
    assert events["requested_slot"] == "verification_answer"


async def test_known_sender_passes_with_date_of_birth_written_the_british_way(housing, domain, demo_tenant):
    dob = demo_tenant.date_of_birth
    slots = known_sms_slots(demo_tenant.phone, requested_slot="verification_answer")
    events, dispatcher = await answer(domain, slots, f"{dob.day}/{dob.month}/{dob.year}")
    assert events["verified"] is True
    assert events["verification_answer"] == "checked"  # the date of birth itself is not kept in the tracker
    assert responses(dispatcher) == ["utter_verified"]


async def test_known_sender_passes_with_postcode_in_any_case_and_spacing(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="verification_answer")
    events, _ = await answer(domain, slots, demo_tenant.postcode.replace(" ", "").lower())
    assert events["verified"] is True


async def test_garbage_answer_asks_again_without_counting_an_attempt(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="verification_answer")
    events, dispatcher = await answer(domain, slots, "🙃🙃🙃")
    assert events["verification_answer"] is None
    assert responses(dispatcher) == ["utter_verification_hint_answer"]
    with session_scope(housing) as session:
        assert verification.list(session=session, channel="sms", address=demo_tenant.phone) == []


async def test_three_wrong_answers_lock_verification_for_thirty_minutes(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, requested_slot="verification_answer")
    sent: list[str] = []
    for _ in range(3):
        events, dispatcher = await answer(domain, slots, "01/01/1901")
        sent += responses(dispatcher)
    assert sent == ["utter_verification_retry", "utter_verification_retry", "utter_verification_locked"]
    assert events["verification_blocked"] is True
    # Even the right answer is refused while locked.
    dob = demo_tenant.date_of_birth
    events, dispatcher = await answer(domain, slots, f"{dob.day}/{dob.month}/{dob.year}")
    assert "verified" not in events or events["verified"] is not True
    with session_scope(housing) as session:
        attempts = verification.list(session=session, channel="sms", address=demo_tenant.phone)
        assert len(attempts) == 4 and not any(a.success for a in attempts)


async def test_locked_sender_is_asked_nothing_more(housing, domain, demo_tenant):
    slots = known_sms_slots(demo_tenant.phone, verification_blocked=True)
    events, _ = await answer(domain, slots, "hello")
    assert events["requested_slot"] is None


async def test_stranger_gets_the_same_reply_for_a_real_and_an_invented_reference(housing, domain, demo_tenant):
    """A stranger learns nothing, not even whether a tenancy reference exists."""
    replies = []
    for reference in (demo_tenant.tenancy_reference, "TN999999"):
        slots = {
            "channel": "sms",
            "sender_address": STRANGER,
            "identified": False,
            "tenancy_reference": reference,
            "verify_postcode": "LS1 1AA",
            "requested_slot": "verify_dob",
        }
        events, dispatcher = await answer(domain, slots, "1/1/1970")
        replies.append((responses(dispatcher), events.get("tenancy_reference")))
    assert replies[0] == replies[1] == (["utter_verification_retry"], None)


async def test_new_sender_verifies_with_reference_postcode_birth_date_and_a_code_sent_to_the_number_on_file(
    housing, domain, demo_tenant
):
    base = {"channel": "telegram", "sender_address": "123456789", "identified": False}
    dob = demo_tenant.date_of_birth
    steps = [
        ("tenancy_reference", f"my ref is {demo_tenant.tenancy_reference.lower()}"),
        ("verify_postcode", demo_tenant.postcode),
        ("verify_dob", f"{dob.day} {dob:%B} {dob.year}"),
    ]
    slots = dict(base)
    for slot, text in steps:
        events, _ = await answer(domain, {**slots, "requested_slot": slot}, text)
        slots.update({k: v for k, v in events.items() if k != "requested_slot"})
    assert events["requested_slot"] == "otp_code"
    with session_scope(housing) as session:
        queued = [m for m in outbox.list(session=session) if m.to_address == demo_tenant.phone]
        assert len(queued) == 1
        code = re.search(r"\b(\d{6})\b", queued[0].body).group(1)
    events, dispatcher = await answer(domain, {**slots, "requested_slot": "otp_code"}, f"code {code}")
    assert events["verified"] is True
    assert events["verified_tenancy"] == demo_tenant.tenancy_reference
    assert responses(dispatcher) == ["utter_verified"]
    with session_scope(housing) as session:
        assert identify(session, "telegram", "123456789").tenancy_reference == demo_tenant.tenancy_reference


async def test_unknown_sms_number_verified_by_code_gets_its_tenancy_for_the_session_but_is_not_linked(
    housing, domain, demo_tenant
):
    dob = demo_tenant.date_of_birth
    slots = {
        "channel": "sms",
        "sender_address": STRANGER,
        "identified": False,
        "tenancy_reference": demo_tenant.tenancy_reference,
        "verify_postcode": demo_tenant.postcode,
    }
    events, _ = await answer(domain, {**slots, "requested_slot": "verify_dob"}, f"{dob:%d/%m/%Y}")
    slots["verify_dob"] = events["verify_dob"]
    with session_scope(housing) as session:
        body = next(m.body for m in outbox.list(session=session) if m.to_address == demo_tenant.phone)
    code = re.search(r"\b(\d{6})\b", body).group(1)
    events, _ = await answer(domain, {**slots, "requested_slot": "otp_code"}, code)
    assert events["verified_tenancy"] == demo_tenant.tenancy_reference
    with session_scope(housing) as session:
        assert identify(session, "sms", STRANGER).known is False


async def test_wrong_code_is_refused_and_counted(housing, domain, demo_tenant):
    dob = demo_tenant.date_of_birth
    slots = {
        "channel": "telegram",
        "sender_address": "555",
        "identified": False,
        "tenancy_reference": demo_tenant.tenancy_reference,
        "verify_postcode": demo_tenant.postcode,
    }
    events, _ = await answer(domain, {**slots, "requested_slot": "verify_dob"}, f"{dob:%d/%m/%Y}")
    slots["verify_dob"] = events["verify_dob"]
    events, dispatcher = await answer(domain, {**slots, "requested_slot": "otp_code"}, "000000")
    if events.get("verified"):  # one in a million: the random code really was 000000
        return
    assert events["otp_code"] is None
    assert responses(dispatcher) == ["utter_verification_retry"]
    with session_scope(housing) as session:
        failures = [a for a in verification.list(session=session, channel="telegram", address="555") if not a.success]
        assert len(failures) == 1


async def test_rest_caller_without_channel_metadata_is_never_asked_for_personal_details(housing, domain):
    events, _ = await answer(domain, {"channel": "rest", "sender_address": "abc", "identified": False}, "balance")
    assert events["requested_slot"] is None
