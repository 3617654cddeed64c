"""Every flow end to end over Rasa's REST channel, as the demo tenant and as a stranger.

Each test talks to the running servers like a tenant would and checks what the tenant reads and what the housing
system of record holds afterwards. The form questions are answered by what they ask (a keyword in the question),
so a test does not depend on the order in which the assistant chooses to ask.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.housing import complaints, handoffs, hazards, repairs
from bot.housing.db import session_scope
from bot.housing.models import OutboxMessage
from bot.housing.seed import DEMO_TENANT

pytestmark = pytest.mark.model

PHONE = DEMO_TENANT.phone
DOB = f"{DEMO_TENANT.date_of_birth:%d/%m/%Y}"
STRANGER = "+447700900998"


def converse(assistant, sender: str, opening: str, answers: list[tuple[str, str]], phone: str = PHONE) -> str:
    """Send `opening`, then answer each question whose keyword appears in a reply; return everything read.

    A question asked again (after a digression, or an answer the assistant could not use) is answered again, up to
    a bounded number of turns.
    """
    transcript = assistant.texts(sender, opening, phone)
    for _ in range(2 * len(answers) + 2):
        match = next((a for k, a in answers if k in _last(transcript)), None)
        if match is None:
            break
        transcript += "\n\n" + assistant.texts(sender, match, phone)
    return transcript


def _last(transcript: str) -> str:
    return transcript.rsplit("\n\n", 1)[-1]


def test_greeting_names_the_landlord(assistant, sender):
    assert "riverside vale homes" in assistant.texts(sender, "hiya", PHONE)


def test_repair_report_logs_a_job_with_reference_priority_and_target_then_books_a_slot(assistant, sender):
    transcript = converse(
        assistant,
        sender,
        "the tap in my kitchen is dripping constantly",
        [
            ("what is it that needs fixing", "the kitchen tap"),
            ("where is the", "kitchen"),
            ("describe the problem", "it drips all day and night since monday"),
            ("when can someone get in", "weekday mornings"),
            ("which slot", "1"),
            ("when can we come", "1"),
        ],
    )
    reference = re.search(r"\b(rep-\d{6}[a-z])\b", transcript)
    assert reference, transcript
    assert "priority" in transcript and "we aim to fix it" in transcript
    assert "booked:" in transcript
    with session_scope(assistant.housing) as session:
        job = repairs.get_or_raise(session=session, reference=reference.group(1).upper())
        assert job.tenancy.reference == DEMO_TENANT.tenancy_reference
        assert job.slot_id is not None


def test_gas_smell_gets_the_safety_message_first_then_an_emergency_job_and_a_person(assistant, sender):
    """DOMAIN.md safety messages: a gas smell gets the National Gas Emergency number before anything else."""
    replies = assistant.say(sender, "i can smell gas in the kitchen really strong", PHONE)
    assert "0800 111 999" in replies[0]["text"]
    transcript = "\n".join(r.get("text", "") for r in replies)
    reference = re.search(r"\b(REP-\d{6}[A-Z])\b", transcript)
    assert reference, transcript
    with session_scope(assistant.housing) as session:
        job = repairs.get_or_raise(session=session, reference=reference.group(1))
        assert job.priority.value == "emergency"
        handoff = handoffs.get_open(session=session, sender_id=sender)
        assert handoff is not None and handoff.reason.value == "emergency"


def test_emergency_interrupts_a_repair_form(assistant, sender):
    assistant.texts(sender, "my bedroom window wont shut properly", PHONE)
    replies = assistant.say(sender, "wait theres water pouring through the ceiling now!!", PHONE)
    assert "stopcock" in replies[0]["text"].lower()
    assert assistant.tracker(sender).get("active_loop", {}).get("name") in (None, "")


def test_welfare_concern_gets_the_safety_numbers_and_a_person(assistant, sender):
    transcript = assistant.texts(sender, "my neighbour hasnt been seen for a week and isnt answering the door", PHONE)
    assert "999" in transcript and "116 123" in transcript
    with session_scope(assistant.housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=sender)
        assert handoff is not None and handoff.reason.value == "welfare"


def test_balance_is_given_only_after_a_knowledge_check(assistant, sender):
    first = assistant.texts(sender, "how much rent do i owe", PHONE)
    assert "date of birth" in first and "£" not in first
    answer = assistant.texts(sender, DOB, PHONE)
    assert "verified" in answer and "£" in answer and DEMO_TENANT.tenancy_reference.lower() in answer


def test_stranger_asking_for_a_balance_learns_nothing(assistant, sender):
    first = assistant.texts(sender, "whats my rent balance", STRANGER)
    assert "tenancy reference" in first and "£" not in first
    assistant.texts(sender, DEMO_TENANT.tenancy_reference, STRANGER)
    assistant.texts(sender, "LS1 1AA", STRANGER)
    reply = assistant.texts(sender, "01/01/1970", STRANGER)
    assert "don't match" in reply and "£" not in reply


def test_pay_rent_lists_the_ways_to_pay_and_never_keeps_a_card_number(assistant, sender):
    transcript = assistant.texts(sender, "how do i pay my rent? card is 4111 1111 1111 1111", PHONE)
    assert "direct debit" in transcript
    events = assistant.tracker(sender)["events"]
    said = [e.get("text") or "" for e in events if e.get("event") == "user"]
    assert all("4111 1111 1111 1111" not in text for text in said)


def test_arrears_help_is_calm_and_offers_a_plan_and_free_advice(assistant, sender):
    transcript = converse(
        assistant, sender, "i lost my job and cant pay the rent this month", [("what would help", "payment plan")]
    )
    assert "you won't be judged" in transcript
    assert "stepchange" in transcript


def test_complaint_is_logged_at_stage_one_with_code_dates(assistant, sender):
    """Complaint Handling Code: acknowledge within 5 working days, respond within 10 more."""
    transcript = converse(
        assistant,
        sender,
        "i want to make a complaint, your contractor left my kitchen in a mess and never came back",
        [
            ("tell me what happened", "the plumber came on monday, ripped out the sink and never came back"),
            ("put things right", "finish the job this week and clean up"),
        ],
    )
    reference = re.search(r"\b(cmp-\d{6}[a-z])\b", transcript)
    assert reference, transcript
    assert "stage 1" in transcript and "acknowledge it by" in transcript
    with session_scope(assistant.housing) as session:
        complaint = complaints.get_or_raise(session=session, reference=reference.group(1).upper())
        assert complaint.acknowledge_by <= complaint.respond_by


def test_damp_report_opens_an_awaabs_law_case_with_dates(assistant, sender):
    """Awaab's Law: a significant damp hazard is investigated within 10 working days."""
    transcript = converse(
        assistant,
        sender,
        "theres black mould all over the bedroom wall",
        [
            ("which rooms", "main bedroom"),
            ("how bad is it", "a whole wall and the ceiling corner"),
            ("who lives in the home", "me and my two kids"),
            ("affecting anyone's health", "no"),
        ],
    )
    reference = re.search(r"\b(haz-\d{6}[a-z])\b", transcript)
    assert reference, transcript
    assert "awaab" in transcript or "make your home safe" in transcript
    with session_scope(assistant.housing) as session:
        assert hazards.get_or_raise(session=session, reference=reference.group(1).upper())


def test_faq_answer_comes_from_the_landlord_file(assistant, sender):
    assert "cat" in assistant.texts(sender, "am i allowed to have a cat in my house", PHONE)


def test_contact_info_gives_the_numbers(assistant, sender):
    assert "0113 496 0418" in assistant.texts(sender, "whats your phone number and opening times", PHONE)


def test_asking_for_a_person_opens_a_handoff_and_says_when_someone_will_reply(assistant, sender):
    transcript = assistant.texts(sender, "can i speak to a real person please", PHONE)
    assert "hnd-" in transcript
    with session_scope(assistant.housing) as session:
        assert handoffs.get_open(session=session, sender_id=sender) is not None


def test_bot_challenge_is_answered_honestly(assistant, sender):
    assert "not a person" in assistant.texts(sender, "am i talking to a robot", PHONE)


def test_bereavement_gets_condolences_and_a_person_without_questions(assistant, sender):
    transcript = assistant.texts(sender, "my mum passed away last week, she was the tenant", PHONE)
    assert "sorry for your loss" in transcript
    with session_scope(assistant.housing) as session:
        handoff = handoffs.get_open(session=session, sender_id=sender)
        assert handoff is not None and handoff.reason.value == "bereavement"


def test_new_sender_code_goes_to_the_number_on_file(assistant, sender):
    assistant.texts(sender, "what is my balance", STRANGER)
    assistant.texts(sender, DEMO_TENANT.tenancy_reference, STRANGER)
    assistant.texts(sender, DEMO_TENANT.postcode, STRANGER)
    reply = assistant.texts(sender, DOB, STRANGER)
    assert "6-digit code" in reply
    with session_scope(assistant.housing) as session:
        sent = session.execute(select(OutboxMessage).where(OutboxMessage.to_address == PHONE)).scalars().all()
        code = re.search(r"\b(\d{6})\b", sent[-1].body).group(1)
    assert "£" in assistant.texts(sender, code, STRANGER)
