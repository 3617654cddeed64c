"""The WhatsApp channel over HTTP, with the 24-hour session window and its fallbacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from multidict import MultiDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import attachments, identities
from bot.housing import outbox as outbox_service
from bot.housing.enums import OutboxStatus
from bot.housing.models import OutboxMessage
from bot.housing.seed import DEMO_TENANT
from channels import outbox
from channels.whatsapp import WhatsAppInput
from tests.channels.conftest import (
    ChannelServer,
    FakeAgent,
    RasaStack,
    repair_count,
    report_repair_with_photo,
    serve_stack,
    twilio_config,
)
from tests.support.fake_twilio import JPEG, SMS_NUMBER, WHATSAPP_NUMBER, FakeTwilio, status_form, whatsapp_form

WEBHOOK = "/webhooks/whatsapp/webhook"
STATUS = "/webhooks/whatsapp/status"
TENANT = DEMO_TENANT.phone
SENDER_ID = f"whatsapp:{TENANT}"


def last_row(factory: Callable[[], Session]) -> OutboxMessage:
    with factory() as session:
        return session.execute(select(OutboxMessage).order_by(OutboxMessage.id.desc())).scalars().first()


def tenant_wrote(factory: Callable[[], Session], hours_ago: float, channel: str = "whatsapp") -> None:
    """Record the tenant's last WhatsApp message `hours_ago` hours back."""
    with factory() as session, session.begin():
        identities.record_inbound(
            session=session,
            channel=channel,
            address=TENANT,
            now=datetime.now(timezone.utc) - timedelta(hours=hours_ago),
        )


async def test_whatsapp_message_is_answered_on_whatsapp_with_prefixed_numbers(
    whatsapp_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    response = await whatsapp_server.post(WEBHOOK, whatsapp_form(TENANT, "hello", profile_name="Sarah A"))
    await whatsapp_server.settle()
    assert response.status == 200
    (sent,) = fake_twilio.sent()
    assert (sent["To"], sent["From"], sent["Body"]) == (
        f"whatsapp:{TENANT}",
        f"whatsapp:{WHATSAPP_NUMBER}",
        "You said: hello",
    )
    message = fake_agent.messages[0]
    assert message.sender_id == SENDER_ID
    assert message.input_channel == "whatsapp"
    assert message.metadata == {"channel": "whatsapp", "address": TENANT, "profile_name": "Sarah A"}


async def test_whatsapp_webhook_with_an_sms_sender_is_400(
    whatsapp_server: ChannelServer, fake_agent: FakeAgent
) -> None:
    form = whatsapp_form(TENANT, "hello")
    form = MultiDict((k, TENANT if k == "From" else v) for k, v in form.items())
    assert (await whatsapp_server.post(WEBHOOK, form)).status == 400
    assert fake_agent.messages == []


async def test_whatsapp_webhook_forged_signature_is_403(whatsapp_server: ChannelServer, fake_agent: FakeAgent) -> None:
    response = await whatsapp_server.post(WEBHOOK, whatsapp_form(TENANT, "hello"), signature="bm9wZQ==")
    assert response.status == 403
    assert fake_agent.messages == []


async def test_whatsapp_retried_delivery_is_processed_once(
    whatsapp_server: ChannelServer, fake_agent: FakeAgent
) -> None:
    form = whatsapp_form(TENANT, "hello")
    for _ in range(3):
        assert (await whatsapp_server.post(WEBHOOK, form)).status == 200
    await whatsapp_server.settle()
    assert fake_agent.texts() == ["hello"]


async def test_whatsapp_location_gets_a_sentence_saying_what_the_assistant_can_read(
    whatsapp_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    form = whatsapp_form(TENANT, "", extra={"Latitude": "53.80", "Longitude": "-1.54", "MessageType": "location"})
    await whatsapp_server.post(WEBHOOK, form)
    await whatsapp_server.settle()
    assert fake_agent.messages == []
    assert fake_twilio.bodies() == [
        "Sorry, I can't read shared locations here. I can read text and photos, so please type your message or "
        "send a photo."
    ]


async def test_whatsapp_photo_waits_for_the_repair_and_is_attached(
    whatsapp_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent, tmp_path: Path
) -> None:
    url = fake_twilio.add_media(JPEG, "image/jpeg")
    await whatsapp_server.post(WEBHOOK, whatsapp_form(TENANT, "", media=[(url, "image/jpeg")]))
    await whatsapp_server.settle()
    assert fake_twilio.bodies() == ["Thanks, your photo arrived. I'll add it to your report once it's logged."]
    assert len(list((tmp_path / "media").rglob("*.jpg"))) == 1


async def test_whatsapp_stop_opts_out_of_whatsapp_only(
    whatsapp_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    """DOMAIN.md, messaging channel rules: opt-out keywords are honoured (here on WhatsApp)."""
    await whatsapp_server.post(WEBHOOK, whatsapp_form(TENANT, "unsubscribe"))
    await whatsapp_server.settle()
    with housing() as session:
        assert identities.get_or_raise(session=session, channel="whatsapp", address=TENANT).opted_out_at
        assert identities.get(session=session, channel="sms", address=TENANT) is None
    assert fake_twilio.bodies()[0].startswith("You won't get any more messages from Riverside Vale here.")


# -- the 24-hour window ----------------------------------------------------------------------------------------


async def test_whatsapp_proactive_message_within_24_hours_is_sent_free_form(
    whatsapp_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    """DOMAIN.md, messaging channel rules: free-form WhatsApp messages within 24 hours of the tenant's last."""
    tenant_wrote(housing, hours_ago=23)
    await whatsapp_server.channel("whatsapp").get_output_channel().send_text_message(SENDER_ID, "Visit booked.")
    await whatsapp_server.settle()
    (sent,) = fake_twilio.sent()
    assert (sent["To"], sent["Body"]) == (f"whatsapp:{TENANT}", "Visit booked.")


async def test_whatsapp_proactive_message_after_24_hours_falls_back_to_sms(
    whatsapp_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    """DOMAIN.md, messaging channel rules: outside the 24-hour window no free-form WhatsApp message is sent."""
    tenant_wrote(housing, hours_ago=25)
    output = whatsapp_server.channel("whatsapp").get_output_channel()
    await output.send_text_message(SENDER_ID, "Your visit is tomorrow \u2013 8am to 12pm.")
    await whatsapp_server.settle()
    (sent,) = fake_twilio.sent()
    assert (sent["To"], sent["From"], sent["Body"]) == (TENANT, SMS_NUMBER, "Your visit is tomorrow - 8am to 12pm.")
    assert last_row(housing).status is OutboxStatus.SENT


async def test_whatsapp_row_naming_a_template_is_sent_as_that_template_outside_the_window(
    whatsapp_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    tenant_wrote(housing, hours_ago=48)
    with housing() as session, session.begin():
        outbox_service.create(
            session=session,
            channel="whatsapp",
            to=TENANT,
            body="Your visit is tomorrow.",
            idempotency_key="reminder:1",
            template_name="HX" + "a" * 32,
            template_variables={"1": "tomorrow"},
        )
    outbox.wake()
    await whatsapp_server.settle()
    (sent,) = fake_twilio.sent()
    assert sent["ContentSid"] == "HX" + "a" * 32
    assert json.loads(sent["ContentVariables"]) == {"1": "tomorrow"}
    assert "Body" not in sent


async def test_whatsapp_session_template_carries_the_text_outside_the_window(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, fake_agent: FakeAgent, tmp_path: Path
) -> None:
    channel = WhatsAppInput(
        twilio_config(fake_twilio, WHATSAPP_NUMBER),
        options={"session_template": "HX" + "b" * 32},
        session_factory=housing,
        media_dir=tmp_path / "media",
    )
    tenant_wrote(housing, hours_ago=30)
    server = ChannelServer([channel], fake_agent)
    await server.start()
    try:
        await channel.get_output_channel().send_text_message(SENDER_ID, "Your repair is done.")
        await server.settle()
    finally:
        await server.stop()
        outbox.unregister_sender("whatsapp")
    (sent,) = fake_twilio.sent()
    assert sent["To"] == f"whatsapp:{TENANT}"
    assert sent["ContentSid"] == "HX" + "b" * 32
    assert json.loads(sent["ContentVariables"]) == {"1": "Your repair is done."}


async def test_whatsapp_outside_the_window_without_template_or_sms_fails_for_good(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, fake_agent: FakeAgent, tmp_path: Path
) -> None:
    channel = WhatsAppInput(
        twilio_config(fake_twilio, WHATSAPP_NUMBER),
        sms_from=None,
        session_factory=housing,
        media_dir=tmp_path / "media",
    )
    server = ChannelServer([channel], fake_agent)
    await server.start()
    try:
        await channel.get_output_channel().send_text_message(SENDER_ID, "Hello after a long time.")
        await server.settle()
    finally:
        await server.stop()
        outbox.unregister_sender("whatsapp")
    assert fake_twilio.sent() == []
    row = last_row(housing)
    assert row.status is OutboxStatus.FAILED
    assert "24-hour window" in (row.last_error or "")


async def test_whatsapp_sms_fallback_is_not_used_for_a_number_that_opted_out_of_sms(
    whatsapp_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    tenant_wrote(housing, hours_ago=30)
    tenant_wrote(housing, hours_ago=30, channel="sms")
    with housing() as session, session.begin():
        identities.update(session=session, channel="sms", address=TENANT, opted_out=True)
    await whatsapp_server.channel("whatsapp").get_output_channel().send_text_message(SENDER_ID, "Hello again.")
    await whatsapp_server.settle()
    assert fake_twilio.sent() == []
    assert last_row(housing).status is OutboxStatus.FAILED


async def test_whatsapp_status_callback_marks_read_messages_delivered(
    whatsapp_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    await whatsapp_server.post(WEBHOOK, whatsapp_form(TENANT, "hello"))
    await whatsapp_server.settle()
    row = last_row(housing)
    assert (await whatsapp_server.post(STATUS, status_form(row.provider_message_id, "read"))).status == 204
    assert last_row(housing).status is OutboxStatus.DELIVERED


# -- end to end with the trained assistant ---------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.asyncio(loop_scope="session")
async def test_whatsapp_tenant_reports_a_repair_with_a_photo_and_gets_the_reference_on_whatsapp(
    rasa_stack: RasaStack, tmp_path: Path
) -> None:
    fake = FakeTwilio()
    await fake.start()
    channel = WhatsAppInput(
        twilio_config(fake, WHATSAPP_NUMBER),
        sms_from=SMS_NUMBER,
        session_factory=rasa_stack.session_factory,
        media_dir=tmp_path / "media",
    )
    try:
        async with serve_stack(rasa_stack, channel) as server:
            before = repair_count(rasa_stack.session_factory)
            result = await report_repair_with_photo(
                server,
                fake,
                webhook=WEBHOOK,
                form=lambda text, media: whatsapp_form(TENANT, text, media=media),
                to=f"whatsapp:{TENANT}",
            )
            assert any(f"added your photo to {result.reference}" in line for line in result.transcript), result.log()
            with rasa_stack.session_factory() as session:
                assert len(attachments.list(session=session, repair_reference=result.reference)) == 1
            assert repair_count(rasa_stack.session_factory) == before + 1
            assert all(sent["From"] == f"whatsapp:{WHATSAPP_NUMBER}" for sent in fake.sent())
    finally:
        await fake.stop()
    print(result.timings("WhatsApp"))
    assert max(result.acks) < 1.0
