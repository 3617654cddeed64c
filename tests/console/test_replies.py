"""Staff replies go out through the outbox on the tenant's channel, within WhatsApp's 24-hour rule."""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone

import httpx

from bot.console.rasa_api import STAFF_KEY
from bot.housing import audit, identities, outbox
from bot.housing.db import session_scope
from tests.console.conftest import DEMO_SENDER
from tests.console.support import csrf_from, reply_id_from

TEMPLATE = "HX0000000000000000000000000000000a"


def _take(client: httpx.Client, reference: str) -> str:
    """Claim the conversation and return its page."""
    client.post(f"/conversations/{reference}/claim", data={"csrf_token": csrf_from(client.get("/queue").text)})
    return client.get(f"/conversations/{reference}").text


def _reply(client: httpx.Client, reference: str, page: str, body: str, **extra: str) -> httpx.Response:
    data = {"csrf_token": csrf_from(page), "reply_id": reply_id_from(page), "body": body, **extra}
    return client.post(f"/conversations/{reference}/reply", data=data)


def _outbox(housing) -> list[tuple[str, str, str, str | None]]:
    with session_scope(housing) as session:
        return [
            (message.channel.value, message.to_address, message.body, message.template_name)
            for message in outbox.list(session=session)
        ]


def _template_variables(housing) -> list[dict | None]:
    with session_scope(housing) as session:
        return [message.template_variables for message in outbox.list(session=session)]


def test_reply_is_queued_in_the_outbox_for_the_tenants_number_on_their_channel(
    client_as, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)

    response = _reply(agent, reference, page, "Hello Sarah, this is Amira. I'm looking at your repair now.")

    assert response.status_code == 303 and response.headers["location"] == f"/conversations/{reference}#reply"
    assert _outbox(housing) == [
        ("sms", "+447700900001", "Hello Sarah, this is Amira. I'm looking at your repair now.", None)
    ]
    staff_events = [event for event in fake_rasa.appended(DEMO_SENDER) if event["event"] == "bot"]
    assert len(staff_events) == 1
    assert staff_events[0]["metadata"][STAFF_KEY]["username"] == "agent"
    assert staff_events[0]["metadata"][STAFF_KEY]["channel"] == "sms"
    transcript = html.unescape(agent.get(f"/conversations/{reference}").text)
    assert "Amira Patel (staff)" in transcript and "I'm looking at your repair now." in transcript
    with session_scope(housing) as session:
        assert "console.reply_queued" in [entry.action for entry in audit.list(session=session, subject=reference)]


def test_the_same_reply_form_submitted_twice_queues_one_message(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)

    _reply(agent, reference, page, "Only once please")
    _reply(agent, reference, page, "Only once please")

    assert len(_outbox(housing)) == 1
    assert [event["event"] for event in fake_rasa.appended(DEMO_SENDER)] == ["pause", "bot"]


def test_whatsapp_reply_within_24_hours_of_the_tenants_message_goes_by_whatsapp(
    client_as, make_handoff, housing
) -> None:
    """DOMAIN.md, messaging channel rules: free-form WhatsApp replies are allowed within 24 hours."""
    reference = make_handoff(
        "whatsapp:+447700900001", channel="whatsapp", last_inbound=datetime.now(timezone.utc) - timedelta(hours=23)
    )
    agent = client_as("agent")
    page = _take(agent, reference)

    _reply(agent, reference, page, "Thanks for your message")

    assert "24-hour window" not in page
    assert _outbox(housing) == [("whatsapp", "+447700900001", "Thanks for your message", None)]


def test_whatsapp_after_24_hours_warns_and_refuses_a_free_form_message(client_as, make_handoff, housing) -> None:
    """DOMAIN.md, messaging channel rules: outside WhatsApp's 24-hour window only a template may be sent."""
    reference = make_handoff(
        "whatsapp:+447700900001", channel="whatsapp", last_inbound=datetime.now(timezone.utc) - timedelta(hours=25)
    )
    agent = client_as("agent")
    page = _take(agent, reference)

    refused = _reply(agent, reference, page, "Free-form after the window", route="channel")

    assert "WhatsApp&#39;s 24-hour window has closed" in page
    assert 'value="template"' in page and 'value="sms"' in page
    assert refused.status_code == 422
    assert _outbox(housing) == []


def test_whatsapp_after_24_hours_can_send_the_approved_template(client_as, make_handoff, housing) -> None:
    """DOMAIN.md, messaging channel rules: the approved template is the WhatsApp route outside the window."""
    reference = make_handoff(
        "whatsapp:+447700900001", channel="whatsapp", last_inbound=datetime.now(timezone.utc) - timedelta(days=3)
    )
    agent = client_as("agent")
    page = _take(agent, reference)

    _reply(agent, reference, page, "We have an update on your repair", route="template")

    assert _outbox(housing) == [("whatsapp", "+447700900001", "We have an update on your repair", TEMPLATE)]
    assert _template_variables(housing) == [{"1": "We have an update on your repair"}]


def test_whatsapp_after_24_hours_can_fall_back_to_sms_to_the_same_number(client_as, make_handoff, housing) -> None:
    reference = make_handoff(
        "whatsapp:+447700900001", channel="whatsapp", last_inbound=datetime.now(timezone.utc) - timedelta(days=3)
    )
    agent = client_as("agent")
    page = _take(agent, reference)

    response = _reply(agent, reference, page, "Texting you instead", route="sms")

    assert response.status_code == 303
    assert _outbox(housing) == [("sms", "+447700900001", "Texting you instead", None)]


def test_telegram_reply_goes_to_the_tenants_chat(client_as, make_handoff, housing) -> None:
    reference = make_handoff("telegram:123456789", channel="telegram")
    agent = client_as("agent")
    page = _take(agent, reference)

    _reply(agent, reference, page, "Hello from the housing team")

    assert _outbox(housing) == [("telegram", "123456789", "Hello from the housing team", None)]


def test_no_reply_is_offered_to_a_tenant_who_opted_out_of_sms(client_as, make_handoff, housing) -> None:
    """DOMAIN.md, messaging channel rules: STOP must be honoured."""
    reference = make_handoff()
    with session_scope(housing) as session:
        identities.update(session=session, channel="sms", address="+447700900001", opted_out=True)
    agent = client_as("agent")
    page = _take(agent, reference)

    forced = agent.post(
        f"/conversations/{reference}/reply",
        data={"csrf_token": csrf_from(page), "reply_id": "a" * 32, "body": "are you there?", "route": "channel"},
    )

    assert "The tenant has opted out of sms messages." in page
    assert 'name="body"' not in page.split('id="reply"')[1].split("</section>")[0]
    assert forced.status_code == 422
    assert _outbox(housing) == []


def test_reply_longer_than_the_channel_allows_is_refused_with_the_text_kept(client_as, make_handoff, housing) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)
    long_text = "x" * 1601

    response = _reply(agent, reference, page, long_text)

    assert response.status_code == 422
    assert "at most 1600" in response.text
    assert long_text in response.text
    assert _outbox(housing) == []


def test_reply_is_still_sent_when_rasa_cannot_record_it_and_staff_are_told(
    client_as, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)
    fake_rasa.fail_next(500)

    _reply(agent, reference, page, "This still goes out")

    assert len(_outbox(housing)) == 1
    assert "could not be added to the transcript" in agent.get(f"/conversations/{reference}").text


def test_internal_note_is_kept_in_the_history_and_never_sent(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)

    agent.post(
        f"/conversations/{reference}/notes",
        data={"csrf_token": csrf_from(page), "note": "Tenant sounded distressed; offered a callback."},
    )

    after = agent.get(f"/conversations/{reference}").text
    assert "Tenant sounded distressed; offered a callback." in after
    assert _outbox(housing) == []
    assert fake_rasa.event_names(DEMO_SENDER) == ["pause"]
