from datetime import date

from bench.conversations import answer_for, conversation, openings

STEPS = {step.name: step for step in conversation(date(1986, 3, 14))}


def test_repair_step_answers_the_question_asked_whatever_the_order():
    step = STEPS["repair report"]
    assert answer_for(step, ["Sorry to hear that.", "Where is the problem in your home?"]) == "kitchen"
    assert answer_for(step, ["What is it that needs fixing?"]) == "the kitchen tap"


def test_knowledge_check_is_answered_with_the_tenants_own_date_of_birth():
    assert answer_for(STEPS["balance"], ["To keep your account safe, what is your date of birth?"]) == "14/03/1986"


def test_the_last_recognised_question_wins_over_an_earlier_one():
    step = STEPS["repair report"]
    assert answer_for(step, ["Where is the leak?", "Please describe the problem"]) == (
        "it drips all day and night since monday"
    )


def test_a_reply_with_no_known_question_ends_the_step():
    assert answer_for(STEPS["complaint"], ["Thanks, that's logged as CMP-123456A."]) is None


def test_steps_recognise_their_outcome():
    assert STEPS["repair report"].done.search("Booked: Monday 23 November, 8am to midday for repair REP-000033X.")
    assert not STEPS["repair report"].done.search("I've raised repair REP-000033X: tap in the kitchen.")
    assert STEPS["small talk"].done.search("Hello, you've reached us. What can I do for you today?")
    assert STEPS["balance"].done.search("Your balance is £12.50 in credit")
    assert not STEPS["complaint"].done.search("Tell me what happened")


def test_openings_cover_every_tenant_message_of_a_conversation():
    messages = openings()
    assert "hiya" in messages and "how much rent do i owe" in messages and "1" in messages
