"""Claiming, pausing and resuming the assistant, handing back and closing, against a fake Rasa HTTP API."""

from __future__ import annotations

import html
import threading

import httpx

from bot.housing import audit, handoffs
from bot.housing.db import session_scope
from bot.housing.enums import HandoffStatus
from tests.console.conftest import DEMO_SENDER
from tests.console.support import RASA_TOKEN, csrf_from


def _token(client: httpx.Client) -> str:
    return csrf_from(client.get("/queue").text)


def _status(housing, reference: str) -> tuple[HandoffStatus, str | None]:
    with session_scope(housing) as session:
        handoff = handoffs.get_or_raise(session=session, reference=reference)
        return HandoffStatus(handoff.status), handoff.claimed_by.username if handoff.claimed_by else None


def _claim(client: httpx.Client, reference: str) -> httpx.Response:
    return client.post(f"/conversations/{reference}/claim", data={"csrf_token": _token(client)})


def test_claim_pauses_the_assistant_through_rasas_api_with_the_token_and_the_exact_conversation_id(
    client_as, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff()

    response = _claim(client_as("agent"), reference)

    assert response.status_code == 303 and response.headers["location"] == f"/conversations/{reference}"
    posts = [item for item in fake_rasa.received if item.method == "POST"]
    assert len(posts) == 1
    assert posts[0].conversation_id == "sms:+447700900001"
    assert posts[0].query["token"] == [RASA_TOKEN]
    assert posts[0].query["execute_side_effects"] == ["false"]
    assert [event["event"] for event in posts[0].events] == ["pause"]
    assert fake_rasa.is_paused(DEMO_SENDER)
    assert _status(housing, reference) == (HandoffStatus.CLAIMED, "agent")


def _press_together(agents: list[httpx.Client], tokens: list[str], reference: str) -> list[httpx.Response]:
    """Press "Claim" in every client at the same instant; return the responses in client order."""
    start = threading.Barrier(len(agents))
    results: dict[int, httpx.Response] = {}

    def press(index: int) -> None:
        start.wait()
        results[index] = agents[index].post(f"/conversations/{reference}/claim", data={"csrf_token": tokens[index]})

    threads = [threading.Thread(target=press, args=(index,)) for index in range(len(agents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [results[index] for index in range(len(agents))]


def test_two_agents_claiming_at_the_same_moment_never_both_hold_the_conversation(
    client_as, make_handoff, fake_rasa, housing
) -> None:
    agents = [client_as("agent"), client_as("dave")]
    tokens = [_token(client) for client in agents]
    for round_number in range(5):
        sender = f"sms:+44770090090{round_number}"
        reference = make_handoff(sender)

        results = _press_together(agents, tokens, reference)

        winners = [index for index, result in enumerate(results) if result.headers["location"].startswith("/conv")]
        assert len(winners) == 1, f"round {round_number}: {[result.headers['location'] for result in results]}"
        loser = agents[1 - winners[0]]
        assert "already being handled by" in html.unescape(loser.get("/queue").text)
        assert fake_rasa.event_names(sender) == ["pause"]
        assert _status(housing, reference) == (HandoffStatus.CLAIMED, ["agent", "dave"][winners[0]])


def test_claim_is_undone_when_the_assistant_cannot_be_paused(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    fake_rasa.fail_next(500)
    agent = client_as("agent")

    response = _claim(agent, reference)

    assert response.headers["location"] == "/queue"
    assert "could not be paused" in html.unescape(agent.get("/queue").text)
    assert _status(housing, reference) == (HandoffStatus.WAITING, None)
    assert not fake_rasa.is_paused(DEMO_SENDER)


def test_claim_is_undone_when_rasa_refuses_the_token(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    fake_rasa.token = "another-token"
    agent = client_as("agent")

    _claim(agent, reference)

    assert "refused the console's token" in html.unescape(agent.get("/queue").text)
    assert _status(housing, reference) == (HandoffStatus.WAITING, None)


def test_hand_back_resumes_the_assistant_then_closes_the_handoff(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    _claim(agent, reference)

    response = agent.post(
        f"/conversations/{reference}/hand-back", data={"csrf_token": _token(agent), "handback_note": ""}
    )

    assert response.status_code == 303 and response.headers["location"] == "/queue"
    assert fake_rasa.event_names(DEMO_SENDER) == ["pause", "resume"]
    assert not fake_rasa.is_paused(DEMO_SENDER)
    with session_scope(housing) as session:
        handoff = handoffs.get_or_raise(session=session, reference=reference)
        assert handoff.status is HandoffStatus.CLOSED
        assert handoff.closing_note == "Handed back to the assistant."
        actions = [entry.action for entry in audit.list(session=session, subject=reference)]
    assert "console.handed_back" in actions and "handoff.closed" in actions


def test_close_needs_an_outcome_and_then_resumes_the_assistant(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    _claim(agent, reference)

    refused = agent.post(f"/conversations/{reference}/close", data={"csrf_token": _token(agent), "outcome": "  "})
    closed = agent.post(
        f"/conversations/{reference}/close",
        data={"csrf_token": _token(agent), "outcome": "Explained the arrears letter; no action needed."},
    )

    assert refused.status_code == 422 and "Write what was done" in refused.text
    assert closed.status_code == 303
    assert fake_rasa.event_names(DEMO_SENDER) == ["pause", "resume"]
    with session_scope(housing) as session:
        handoff = handoffs.get_or_raise(session=session, reference=reference)
        assert handoff.status is HandoffStatus.CLOSED
        assert handoff.closing_note == "Explained the arrears letter; no action needed."


def test_hand_back_keeps_the_conversation_with_the_agent_when_the_assistant_cannot_be_resumed(
    client_as, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    _claim(agent, reference)
    fake_rasa.fail_next(503)

    response = agent.post(f"/conversations/{reference}/hand-back", data={"csrf_token": _token(agent)})

    assert response.status_code == 422
    assert "could not be resumed" in html.unescape(response.text)
    assert _status(housing, reference) == (HandoffStatus.CLAIMED, "agent")
    assert fake_rasa.is_paused(DEMO_SENDER)


def test_return_to_queue_resumes_the_assistant_and_lets_a_colleague_claim(
    client_as, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    _claim(agent, reference)

    agent.post(f"/conversations/{reference}/release", data={"csrf_token": _token(agent)})
    _claim(client_as("dave"), reference)

    assert fake_rasa.event_names(DEMO_SENDER) == ["pause", "resume", "pause"]
    assert _status(housing, reference) == (HandoffStatus.CLAIMED, "dave")


def test_only_the_holder_can_hand_back_or_return_a_conversation(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    _claim(client_as("agent"), reference)
    dave = client_as("dave")

    back = dave.post(f"/conversations/{reference}/hand-back", data={"csrf_token": _token(dave)})
    release = dave.post(f"/conversations/{reference}/release", data={"csrf_token": _token(dave)})

    assert back.status_code == 422 and "You are not handling" in back.text
    assert release.status_code == 303
    assert "You are not handling" in dave.get("/queue").text
    assert fake_rasa.event_names(DEMO_SENDER) == ["pause"]
    assert _status(housing, reference) == (HandoffStatus.CLAIMED, "agent")


def test_claiming_a_closed_conversation_says_it_no_longer_needs_a_person(client_as, make_handoff, housing) -> None:
    reference = make_handoff()
    with session_scope(housing) as session:
        handoffs.close(session=session, reference=reference)
    agent = client_as("agent")

    _claim(agent, reference)

    assert "is closed" in agent.get("/queue").text


def test_unknown_conversation_is_not_found(client_as) -> None:
    agent = client_as("agent")

    assert agent.get("/conversations/HND-999999Z").status_code == 404
    assert agent.get("/conversations/not-a-reference").status_code == 404
    assert agent.post("/conversations/HND-999999Z/claim", data={"csrf_token": _token(agent)}).status_code == 404


def _take_over(client: httpx.Client, reference: str, holder: str) -> httpx.Response:
    return client.post(f"/conversations/{reference}/take-over", data={"csrf_token": _token(client), "holder": holder})


def test_supervisor_takes_over_a_stale_claim_and_the_assistant_stays_paused(
    client_as, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff()
    _claim(client_as("agent"), reference)
    supervisor = client_as("supervisor")

    page = supervisor.get(f"/conversations/{reference}")
    response = _take_over(supervisor, reference, "agent")

    assert "Take over from Amira Patel" in page.text
    assert response.status_code == 303 and response.headers["location"] == f"/conversations/{reference}"
    assert "taken over from Amira Patel" in html.unescape(supervisor.get(f"/conversations/{reference}").text)
    assert _status(housing, reference) == (HandoffStatus.CLAIMED, "supervisor")
    assert fake_rasa.event_names(DEMO_SENDER) == ["pause"]  # no resume: the tenant never gets the bot mid-handover
    with session_scope(housing) as session:
        entries = [e for e in audit.list(session=session, subject=reference) if e.action == "handoff.taken_over"]
        assert [(e.actor, e.details) for e in entries] == [("staff:supervisor", {"from": "agent"})]


def test_previous_holder_can_no_longer_reply_after_a_take_over(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    _claim(agent, reference)
    _take_over(client_as("supervisor"), reference, "agent")

    reply = agent.post(
        f"/conversations/{reference}/reply", data={"csrf_token": _token(agent), "body": "hi", "reply_id": "1" * 32}
    )

    assert reply.status_code == 422 and "You are not handling" in html.unescape(reply.text)


def test_take_over_refuses_when_the_conversation_changed_hands_since_the_page_was_read(
    client_as, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    _claim(agent, reference)
    agent.post(f"/conversations/{reference}/release", data={"csrf_token": _token(agent)})
    _claim(client_as("dave"), reference)
    supervisor = client_as("supervisor")

    stale = _take_over(supervisor, reference, "agent")  # the supervisor's page still showed the agent holding it
    garbage = _take_over(supervisor, reference, "<script>nobody</script>")

    assert stale.status_code == 303 and garbage.status_code == 303
    assert "changed hands" in html.unescape(supervisor.get(f"/conversations/{reference}").text)
    assert _status(housing, reference) == (HandoffStatus.CLAIMED, "dave")


def test_agent_sees_no_take_over_button_and_cannot_take_over(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    _claim(client_as("agent"), reference)
    dave = client_as("dave")

    page = dave.get(f"/conversations/{reference}")
    refused = _take_over(dave, reference, "agent")

    assert "Take over" not in page.text
    assert refused.status_code == 403
    assert _status(housing, reference) == (HandoffStatus.CLAIMED, "agent")
