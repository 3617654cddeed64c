"""The SMS channel over HTTP: a real Sanic server with the channel registered by Rasa, the real twilio client
talking to a fake Twilio API, and a fake agent (or, for tests marked `model`, the trained assistant)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from multidict import MultiDict
from rasa import server as rasa_server
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import attachments, identities, inbound, repairs
from bot.housing.enums import Channel, OutboxStatus, Priority
from bot.housing.models import OutboxMessage
from bot.housing.seed import DEMO_TENANT
from channels import outbox
from channels.core.media import MAX_MEDIA_BYTES
from channels.twilio_sms import TwilioSmsInput
from tests.channels.conftest import (
    PUBLIC_URL,
    ChannelServer,
    FakeAgent,
    RasaStack,
    repair_count,
    report_repair_with_photo,
    serve_stack,
    twilio_config,
)
from tests.support.fake_twilio import JPEG, SMS_NUMBER, FakeTwilio, message_sid, sms_form, status_form

WEBHOOK = "/webhooks/twilio_sms/webhook"
STATUS = "/webhooks/twilio_sms/status"
TENANT = DEMO_TENANT.phone
SENDER_ID = f"sms:{TENANT}"


def outbox_rows(factory: Callable[[], Session]) -> list[OutboxMessage]:
    with factory() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


# -- acknowledgement and replies -------------------------------------------------------------------------------


async def test_sms_webhook_acknowledges_with_empty_twiml_and_replies_through_the_rest_api(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    response = await sms_server.post(WEBHOOK, sms_form(TENANT, "hello"))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    assert await fake_twilio.wait_for_messages(1, to=TENANT) == ["You said: hello"]
    sent = fake_twilio.sent(TENANT)[0]
    assert sent["From"] == SMS_NUMBER
    assert sent["StatusCallback"] == PUBLIC_URL + STATUS


async def test_sms_webhook_answers_within_a_second_while_the_assistant_is_slow(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    fake_agent.delay = 3.0
    started = time.perf_counter()
    response = await sms_server.post(WEBHOOK, sms_form(TENANT, "is anyone there"))
    elapsed = time.perf_counter() - started
    assert response.status == 200
    assert elapsed < 1.0
    assert fake_twilio.bodies() == []  # the reply is still being worked on
    await fake_twilio.wait_for_messages(1, to=TENANT, timeout=10)


async def test_sms_webhook_is_acknowledged_while_another_tenants_turn_holds_its_thread(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    # Rasa's tracker loading and policies are synchronous: a turn holds the loop it runs on while they work.
    # Turns run on the channels' turn thread, so the webhooks' loop still acknowledges (channels/core/turns.py).
    turn_threads: list[str] = []
    blocking = threading.Event()

    async def busy_echo(message: UserMessage, agent: FakeAgent) -> None:
        turn_threads.append(threading.current_thread().name)
        if message.text == "my boiler is broken":
            blocking.set()
            time.sleep(2.0)  # synchronous work: nothing else runs on this loop meanwhile
        await agent.say(message, f"You said: {message.text}")

    fake_agent.reply = busy_echo
    assert (await sms_server.post(WEBHOOK, sms_form(TENANT, "my boiler is broken"))).status == 200
    assert await asyncio.to_thread(blocking.wait, 5.0)
    started = time.perf_counter()
    response = await sms_server.post(WEBHOOK, sms_form("+447700900111", "what is my balance"))
    acknowledged_after = time.perf_counter() - started
    assert response.status == 200
    assert acknowledged_after < 1.0  # the first turn is still holding its thread for another second or more
    assert fake_twilio.bodies() == []
    await fake_twilio.wait_for_messages(2, timeout=10)
    assert set(turn_threads) == {"tenantline-turns"}
    assert threading.current_thread().name != "tenantline-turns"


async def test_sms_messages_of_one_conversation_are_processed_in_order_received(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    delays = {"first": 0.4, "second": 0.0, "third": 0.1}

    async def slow_echo(message: UserMessage, agent: FakeAgent) -> None:
        await asyncio.sleep(delays[str(message.text)])
        await agent.say(message, f"You said: {message.text}")

    fake_agent.reply = slow_echo
    for text in ("first", "second", "third"):
        assert (await sms_server.post(WEBHOOK, sms_form(TENANT, text))).status == 200
    bodies = await fake_twilio.wait_for_messages(3, to=TENANT)
    assert bodies == ["You said: first", "You said: second", "You said: third"]


async def test_sms_conversations_of_different_tenants_run_in_parallel(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    fake_agent.delay = 1.0
    started = time.perf_counter()
    senders = [f"+4477009000{n:02d}" for n in range(10, 15)]
    for sender in senders:
        await sms_server.post(WEBHOOK, sms_form(sender, "hi"))
    await fake_twilio.wait_for_messages(len(senders), timeout=10)
    assert time.perf_counter() - started < 3.0  # five one-second turns, not five seconds


async def test_sms_message_metadata_carries_channel_and_address(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    await sms_server.post(WEBHOOK, sms_form("07700 900001".replace(" ", ""), "hi"))
    await sms_server.settle()
    message = fake_agent.messages[0]
    assert message.sender_id == SENDER_ID
    assert message.input_channel == "twilio_sms"
    assert message.metadata == {"channel": "sms", "address": TENANT}


async def test_sms_reply_with_curly_quotes_and_dashes_is_sent_in_gsm7(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    async def typographic(message: UserMessage, agent: FakeAgent) -> None:
        await agent.say(message, "We\u2019ll call \u2013 \u201csoon\u201d\u2026")

    fake_agent.reply = typographic
    await sms_server.post(WEBHOOK, sms_form(TENANT, "when"))
    assert await fake_twilio.wait_for_messages(1) == ['We\'ll call - "soon"...']


async def test_sms_long_reply_is_split_at_sentence_boundaries_within_1600_characters(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    sentence = "Your repair is booked for Tuesday morning and an operative will call first. "
    long_text = (sentence * 40).strip()

    async def long_reply(message: UserMessage, agent: FakeAgent) -> None:
        await agent.say(message, long_text)

    fake_agent.reply = long_reply
    await sms_server.post(WEBHOOK, sms_form(TENANT, "details"))
    await sms_server.settle()
    bodies = fake_twilio.bodies(TENANT)
    assert len(bodies) == 2
    assert all(len(body) <= 1600 and body.endswith("first.") for body in bodies)
    assert " ".join(bodies) == long_text


async def test_sms_buttons_are_numbered_and_a_numeric_reply_sends_the_button_payload(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    async def ask(message: UserMessage, agent: FakeAgent) -> None:
        if message.text == "talk to someone":
            await agent.say(
                message,
                "Shall I pass you to a person?",
                [{"title": "Yes, a person please", "payload": "/affirm"}, {"title": "No thanks", "payload": "/deny"}],
            )
        else:
            await agent.say(message, f"got {message.text}")

    fake_agent.reply = ask
    await sms_server.post(WEBHOOK, sms_form(TENANT, "talk to someone"))
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT) == ["Shall I pass you to a person?\n\n1. Yes, a person please\n2. No thanks"]
    await sms_server.post(WEBHOOK, sms_form(TENANT, "2"))
    await sms_server.settle()
    assert fake_agent.texts() == ["talk to someone", "/deny"]
    # The options were answered: a later "1" is just text.
    await sms_server.post(WEBHOOK, sms_form(TENANT, "1"))
    await sms_server.settle()
    assert fake_agent.texts()[-1] == "1"


async def test_sms_numeric_reply_after_a_restart_reads_the_buttons_from_the_tracker(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    tracker = fake_agent.tracker_store.tracker(SENDER_ID)
    tracker.events.append(
        BotUttered(
            "Yes or no?",
            data={"buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]},
        )
    )
    await sms_server.post(WEBHOOK, sms_form(TENANT, "1"))
    await sms_server.settle()
    assert fake_agent.texts() == ["/affirm"]


async def test_sms_card_number_is_masked_before_the_assistant_sees_it(
    sms_server: ChannelServer, fake_agent: FakeAgent
) -> None:
    await sms_server.post(WEBHOOK, sms_form(TENANT, "my card is 4111 1111 1111 1111 thanks"))
    await sms_server.settle()
    assert "4111 1111 1111 1111" not in fake_agent.texts()[0]
    assert "1111" in fake_agent.texts()[0]  # the last four digits stay so the tenant can recognise the card


# -- exactly once ----------------------------------------------------------------------------------------------


async def test_sms_retried_delivery_is_acknowledged_and_not_processed_again(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    form = sms_form(TENANT, "my tap is leaking")
    first = await sms_server.post(WEBHOOK, form)
    await sms_server.settle()
    retry = await sms_server.post(WEBHOOK, form)
    await sms_server.settle()
    assert first.status == retry.status == 200
    assert fake_agent.texts() == ["my tap is leaking"]
    assert len(fake_twilio.bodies(TENANT)) == 1


async def test_sms_concurrent_duplicate_deliveries_are_processed_once(
    sms_server: ChannelServer, fake_agent: FakeAgent
) -> None:
    form = sms_form(TENANT, "hello twice")
    responses = await asyncio.gather(*(sms_server.post(WEBHOOK, form) for _ in range(5)))
    await sms_server.settle()
    assert [r.status for r in responses] == [200] * 5
    assert fake_agent.texts() == ["hello twice"]


async def test_sms_retry_after_a_restart_is_not_processed_again(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, fake_agent: FakeAgent, tmp_path
) -> None:
    form = sms_form(TENANT, "boiler broken")

    def make_channel() -> TwilioSmsInput:
        return TwilioSmsInput(
            twilio_config(fake_twilio, SMS_NUMBER),
            session_factory=housing,
            media_dir=tmp_path / "media",
        )

    first = ChannelServer([make_channel()], fake_agent)
    await first.start()
    await first.post(WEBHOOK, form)
    await first.settle()
    await first.stop()
    second = ChannelServer([make_channel()], fake_agent)
    await second.start()
    try:
        assert (await second.post(WEBHOOK, form)).status == 200
        await second.settle()
    finally:
        await second.stop()
        outbox.unregister_sender("sms")
    assert fake_agent.texts() == ["boiler broken"]


async def test_sms_message_acknowledged_but_unprocessed_at_shutdown_is_processed_after_restart(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, fake_agent: FakeAgent, tmp_path
) -> None:
    def make_channel() -> TwilioSmsInput:
        return TwilioSmsInput(
            twilio_config(fake_twilio, SMS_NUMBER),
            session_factory=housing,
            media_dir=tmp_path / "media",
        )

    fake_agent.delay = 30.0  # the process stops while the assistant is still thinking
    stopping = make_channel()
    stopping.pipeline.shutdown_grace = 0.2
    first = ChannelServer([stopping], fake_agent)
    await first.start()
    assert (await first.post(WEBHOOK, sms_form(TENANT, "no heating"))).status == 200
    await asyncio.sleep(0.2)
    await first.stop()
    assert fake_twilio.bodies() == []

    fake_agent.delay = 0.0
    second = ChannelServer([make_channel()], fake_agent)
    await second.start()
    try:
        assert await fake_twilio.wait_for_messages(1, to=TENANT) == ["You said: no heating"]
    finally:
        await second.stop()
        outbox.unregister_sender("sms")


async def test_sms_replayed_message_already_in_the_tracker_is_not_sent_to_the_assistant_again(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, fake_agent: FakeAgent, tmp_path: Path
) -> None:
    channel = TwilioSmsInput(
        twilio_config(fake_twilio, SMS_NUMBER),
        session_factory=housing,
        media_dir=tmp_path / "media",
    )
    # The process died after Rasa had handled the message but before the journal entry was removed.
    form = sms_form(TENANT, "book it please")
    incoming = channel.parse_incoming(form)
    assert await channel.pipeline.inbox.accept(incoming.external_id, incoming.to_dict(), incoming.sender_id)
    fake_agent.tracker_store.tracker(SENDER_ID).events.append(
        UserUttered("book it please", input_channel="twilio_sms", message_id=form["MessageSid"])
    )
    server = ChannelServer([channel], fake_agent)
    await server.start()
    try:
        await server.settle()
    finally:
        await server.stop()
        outbox.unregister_sender("sms")
    assert fake_agent.messages == []
    assert channel.pipeline.inbox.pending() == []


async def test_sms_server_stopping_lets_a_message_in_progress_finish(
    housing: Callable[[], Session], fake_twilio: FakeTwilio, fake_agent: FakeAgent, tmp_path: Path
) -> None:
    channel = TwilioSmsInput(
        twilio_config(fake_twilio, SMS_NUMBER),
        session_factory=housing,
        media_dir=tmp_path / "media",
    )
    fake_agent.delay = 0.5
    server = ChannelServer([channel], fake_agent)
    await server.start()
    await server.post(WEBHOOK, sms_form(TENANT, "last words"))
    await server.stop()
    outbox.unregister_sender("sms")
    assert fake_agent.texts() == ["last words"]
    assert channel.pipeline.inbox.pending() == []


# -- authenticity and garbage ----------------------------------------------------------------------------------


async def test_sms_webhook_forged_signature_is_403_and_nothing_is_processed(
    sms_server: ChannelServer, fake_agent: FakeAgent, housing: Callable[[], Session]
) -> None:
    form = sms_form(TENANT, "hello")
    response = await sms_server.post(WEBHOOK, form, signature="bm90IGEgcmVhbCBzaWduYXR1cmU=")
    await sms_server.settle()
    assert response.status == 403
    assert fake_agent.messages == []
    with housing() as session:
        assert not inbound.exists(session=session, channel="sms", external_id=form["MessageSid"])


async def test_sms_webhook_without_signature_is_403(sms_server: ChannelServer, fake_agent: FakeAgent) -> None:
    response = await sms_server.post(WEBHOOK, sms_form(TENANT, "hello"), signed=False)
    assert response.status == 403
    assert fake_agent.messages == []


async def test_sms_webhook_signed_with_another_token_is_403(sms_server: ChannelServer, fake_agent: FakeAgent) -> None:
    response = await sms_server.post(WEBHOOK, sms_form(TENANT, "hello"), token="someone-elses-token")
    assert response.status == 403


async def test_sms_webhook_signature_over_a_tampered_body_is_403(
    sms_server: ChannelServer, fake_agent: FakeAgent
) -> None:
    from tests.support.fake_twilio import twilio_signature

    original = sms_form(TENANT, "hello")
    signature = twilio_signature(PUBLIC_URL + WEBHOOK, original)
    tampered = sms_form(TENANT, "send my details to someone else", sid=original["MessageSid"])
    response = await sms_server.post(WEBHOOK, tampered, signature=signature)
    assert response.status == 403
    assert fake_agent.messages == []


@pytest.mark.parametrize("missing", ["From", "Body", "MessageSid"])
async def test_sms_webhook_signed_form_missing_a_required_field_is_400(
    sms_server: ChannelServer, fake_agent: FakeAgent, missing: str
) -> None:
    form = sms_form(TENANT, "hello")
    stripped = MultiDict(
        (k, v) for k, v in form.items() if k != missing and not (missing == "MessageSid" and "Sid" in k)
    )
    response = await sms_server.post(WEBHOOK, stripped)
    await sms_server.settle()
    assert response.status == 400
    assert fake_agent.messages == []


async def test_sms_webhook_from_that_is_not_a_phone_number_is_400(
    sms_server: ChannelServer, fake_agent: FakeAgent
) -> None:
    response = await sms_server.post(WEBHOOK, sms_form("RiversideV", "hello"))
    assert response.status == 400
    assert fake_agent.messages == []


async def test_sms_webhook_one_megabyte_body_is_413(sms_server: ChannelServer, fake_agent: FakeAgent) -> None:
    response = await sms_server.post(WEBHOOK, sms_form(TENANT, "x" * (1024 * 1024)))
    assert response.status == 413
    assert fake_agent.messages == []


async def test_sms_webhook_invalid_utf8_is_400(sms_server: ChannelServer, fake_agent: FakeAgent) -> None:
    response = await sms_server.post(WEBHOOK, body=b"Body=\xff\xfe\xfd&From=%2B447700900001", signature="x")
    assert response.status == 400
    assert fake_agent.messages == []


async def test_sms_webhook_json_body_is_400(sms_server: ChannelServer, fake_agent: FakeAgent) -> None:
    response = await sms_server.post(
        WEBHOOK, body=b'{"Body": "hi", "From": "+447700900001"}', content_type="application/json", signature="x"
    )
    assert response.status == 400
    assert fake_agent.messages == []


async def test_sms_webhook_get_is_not_allowed(sms_server: ChannelServer) -> None:
    assert sms_server.http is not None
    async with sms_server.http.get(sms_server.url + WEBHOOK) as response:
        assert response.status == 405


# -- media -----------------------------------------------------------------------------------------------------


def logged_repair(factory: Callable[[], Session]) -> str:
    with factory() as session, session.begin():
        job = repairs.create(
            session=session,
            tenancy_reference=DEMO_TENANT.tenancy_reference,
            item="tap",
            location="kitchen",
            description="dripping constantly",
            priority=Priority.ROUTINE,
            channel=Channel.SMS,
        )
        return str(job.reference)


async def test_sms_photo_for_a_logged_repair_is_stored_attached_and_acknowledged(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent, housing: Callable[[], Session], tmp_path
) -> None:
    reference = logged_repair(housing)
    fake_agent.set_slot(SENDER_ID, "repair_reference", reference)
    url = fake_twilio.add_media(JPEG, "image/jpeg")
    await sms_server.post(WEBHOOK, sms_form(TENANT, "", media=[(url, "image/jpeg")]))
    await sms_server.settle()
    with housing() as session:
        stored = attachments.list(session=session, repair_reference=reference)
        assert [(a.content_type, a.size_bytes) for a in stored] == [("image/jpeg", len(JPEG))]
    assert list((tmp_path / "media").rglob("*.jpg"))
    assert fake_twilio.bodies(TENANT) == [f"Thanks, I've added your photo to {reference}."]
    assert fake_agent.messages == []  # a photo without words is not a message for the assistant


async def test_sms_photo_before_the_repair_is_logged_is_attached_once_it_is(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent, housing: Callable[[], Session]
) -> None:
    reference = logged_repair(housing)

    async def log_on_confirmation(message: UserMessage, agent: FakeAgent) -> None:
        if message.text == "yes that's everything":
            agent.set_slot(SENDER_ID, "repair_reference", reference)
            await agent.say(message, f"I've logged repair {reference}.")
        else:
            await agent.say(message, "Anything else about the leak?")

    fake_agent.reply = log_on_confirmation
    url = fake_twilio.add_media(JPEG, "image/jpeg")
    await sms_server.post(WEBHOOK, sms_form(TENANT, "here is the leak", media=[(url, "image/jpeg")]))
    await sms_server.settle()
    await sms_server.post(WEBHOOK, sms_form(TENANT, "yes that's everything"))
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT) == [
        "Anything else about the leak?",
        "Thanks, your photo arrived. I'll add it to your report once it's logged.",
        f"I've logged repair {reference}.",
        f"Thanks, I've added your photo to {reference}.",
    ]
    assert fake_agent.messages[0].metadata["photos"] == 1
    with housing() as session:
        assert len(attachments.list(session=session, repair_reference=reference)) == 1


async def test_sms_photo_over_the_size_limit_is_refused_with_a_sentence(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session], tmp_path
) -> None:
    huge = JPEG[:-2] + b"\x00" * MAX_MEDIA_BYTES + b"\xff\xd9"
    url = fake_twilio.add_media(huge, "image/jpeg", chunked=True)
    await sms_server.post(WEBHOOK, sms_form(TENANT, "", media=[(url, "image/jpeg")]))
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT) == [
        "Sorry, that file is too big for me: the limit is 10 MB. Could you send a smaller photo?"
    ]
    assert not list((tmp_path / "media").rglob("*.jpg"))


async def test_sms_file_claiming_to_be_a_jpeg_that_is_not_is_refused(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, tmp_path
) -> None:
    url = fake_twilio.add_media(b"MZ\x90\x00 this is a program", "image/jpeg")
    await sms_server.post(WEBHOOK, sms_form(TENANT, "", media=[(url, "image/jpeg")]))
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT)[0].startswith("Sorry, I can't read that kind of message here.")
    assert not list((tmp_path / "media").rglob("*.*"))


@pytest.mark.parametrize(
    ("content_type", "named"),
    [("audio/ogg", "voice notes or audio"), ("video/mp4", "videos"), ("text/vcard", "contact cards")],
)
async def test_sms_unsupported_media_gets_a_polite_sentence_naming_it(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, content_type: str, named: str
) -> None:
    url = fake_twilio.add_media(b"whatever", content_type)
    await sms_server.post(WEBHOOK, sms_form(TENANT, "", media=[(url, content_type)]))
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT) == [
        f"Sorry, I can't read {named} here. I can read text and photos, so please type your message or send a photo."
    ]
    assert not any(request.path.endswith(url.rsplit("/", 1)[1]) for request in fake_twilio.requests)


async def test_sms_media_url_off_twilios_host_is_never_fetched_with_credentials(
    sms_server: ChannelServer, fake_twilio: FakeTwilio
) -> None:
    await sms_server.post(WEBHOOK, sms_form(TENANT, "", media=[("https://attacker.example/steal.jpg", "image/jpeg")]))
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT) == ["Sorry, I couldn't download your photo. Could you send it again?"]


# -- opt-out ---------------------------------------------------------------------------------------------------


async def test_sms_stop_is_confirmed_recorded_and_blocks_proactive_messages(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent, housing: Callable[[], Session]
) -> None:
    """DOMAIN.md, messaging channel rules: STOP / START / HELP must be honoured."""
    await sms_server.post(WEBHOOK, sms_form(TENANT, "STOP"))
    await sms_server.settle()
    assert fake_agent.messages == []
    assert fake_twilio.bodies(TENANT) == [
        "You won't get any more messages from Riverside Vale here. Reply START to turn them back on, "
        "or call us on 0113 496 0418."
    ]
    with housing() as session:
        assert identities.get_or_raise(session=session, channel="sms", address=TENANT).opted_out_at is not None
    proactive = sms_server.channel("twilio_sms").get_output_channel()
    await proactive.send_text_message(SENDER_ID, "Reminder: your repair visit is tomorrow.")
    await sms_server.settle()
    assert len(fake_twilio.bodies(TENANT)) == 1


async def test_sms_start_after_stop_opts_back_in(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    """DOMAIN.md, messaging channel rules: START opts back in."""
    await sms_server.post(WEBHOOK, sms_form(TENANT, "Stop"))
    await sms_server.post(WEBHOOK, sms_form(TENANT, "start."))
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT)[-1].startswith("Messages from Riverside Vale are back on.")
    with housing() as session:
        assert identities.get_or_raise(session=session, channel="sms", address=TENANT).opted_out_at is None


async def test_sms_repeated_stop_sends_one_confirmation_and_stays_opted_out(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session], caplog: pytest.LogCaptureFixture
) -> None:
    await sms_server.post(WEBHOOK, sms_form(TENANT, "STOP"))
    await sms_server.post(WEBHOOK, sms_form(TENANT, "STOP"))
    await sms_server.settle()
    assert len(fake_twilio.bodies(TENANT)) == 1
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
    with housing() as session:
        assert identities.get_or_raise(session=session, channel="sms", address=TENANT).opted_out_at is not None


async def test_sms_tenant_who_opted_out_and_writes_again_is_answered(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent, housing: Callable[[], Session]
) -> None:
    """Writing to us asks for a reply; the outbox refuses opted-out numbers, so the opt-out ends (audited)."""
    await sms_server.post(WEBHOOK, sms_form(TENANT, "STOP"))
    await sms_server.settle()
    await sms_server.post(WEBHOOK, sms_form(TENANT, "there is water coming through my ceiling"))
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT)[-1] == "You said: there is water coming through my ceiling"
    with housing() as session:
        assert identities.get_or_raise(session=session, channel="sms", address=TENANT).opted_out_at is None


async def test_sms_help_answers_who_we_are_without_the_assistant(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, fake_agent: FakeAgent
) -> None:
    """DOMAIN.md, messaging channel rules: HELP is answered."""
    await sms_server.post(WEBHOOK, sms_form(TENANT, "help"))
    await sms_server.settle()
    assert fake_agent.messages == []
    (reply,) = fake_twilio.bodies(TENANT)
    assert "Riverside Vale" in reply and "0113 496 0418" in reply and "999" in reply


async def test_sms_stop_inside_a_sentence_is_an_ordinary_message(
    sms_server: ChannelServer, fake_agent: FakeAgent, housing: Callable[[], Session]
) -> None:
    await sms_server.post(WEBHOOK, sms_form(TENANT, "please stop the water coming through the ceiling"))
    await sms_server.settle()
    assert fake_agent.texts() == ["please stop the water coming through the ceiling"]
    with housing() as session:
        assert identities.get_or_raise(session=session, channel="sms", address=TENANT).opted_out_at is None


# -- outbound: retries and status callbacks --------------------------------------------------------------------


async def test_sms_reply_sent_leaves_no_twilio_request_dump_in_the_server_log(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    # Twilio's client logs eight INFO lines per request (URL, headers); the outbox already records every send.
    caplog.set_level(logging.INFO)
    await sms_server.post(WEBHOOK, sms_form(TENANT, "hello"))
    assert await fake_twilio.wait_for_messages(1, to=TENANT) == ["You said: hello"]
    assert not [record for record in caplog.records if "Twilio API Request" in record.getMessage()]
    assert logging.getLogger("channels.twilio.http").isEnabledFor(logging.WARNING)


async def test_sms_reply_refused_by_twilio_with_a_server_error_is_retried_not_lost(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    fake_twilio.fail_next(503)
    await sms_server.post(WEBHOOK, sms_form(TENANT, "hello"))
    await sms_server.settle()
    (row,) = outbox_rows(housing)
    assert row.status is OutboxStatus.QUEUED
    assert row.attempts == 1
    assert "503" in (row.last_error or "")
    assert fake_twilio.bodies(TENANT) == []


async def test_sms_reply_refused_by_twilio_as_invalid_fails_for_good(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    fake_twilio.fail_next(400, 21211)
    await sms_server.post(WEBHOOK, sms_form(TENANT, "hello"))
    await sms_server.settle()
    (row,) = outbox_rows(housing)
    assert row.status is OutboxStatus.FAILED
    assert "21211" in (row.last_error or "")


async def test_sms_status_callback_marks_the_message_delivered(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    await sms_server.post(WEBHOOK, sms_form(TENANT, "hello"))
    await sms_server.settle()
    (row,) = outbox_rows(housing)
    assert row.status is OutboxStatus.SENT and row.provider_message_id
    response = await sms_server.post(STATUS, status_form(row.provider_message_id, "delivered"))
    assert response.status == 204
    (row,) = outbox_rows(housing)
    assert row.status is OutboxStatus.DELIVERED


async def test_sms_status_callback_with_forged_signature_is_403_and_changes_nothing(
    sms_server: ChannelServer, fake_twilio: FakeTwilio, housing: Callable[[], Session]
) -> None:
    await sms_server.post(WEBHOOK, sms_form(TENANT, "hello"))
    await sms_server.settle()
    (row,) = outbox_rows(housing)
    response = await sms_server.post(STATUS, status_form(row.provider_message_id, "delivered"), signature="Zm9yZ2Vk")
    assert response.status == 403
    (row,) = outbox_rows(housing)
    assert row.status is OutboxStatus.SENT


async def test_sms_status_callback_for_an_unknown_message_is_acknowledged(sms_server: ChannelServer) -> None:
    response = await sms_server.post(STATUS, status_form(message_sid(), "delivered"))
    assert response.status == 204


async def test_sms_status_callback_without_a_status_is_400(sms_server: ChannelServer) -> None:
    form = MultiDict((k, v) for k, v in status_form(message_sid(), "sent").items() if "Status" not in k)
    assert (await sms_server.post(STATUS, form)).status == 400


async def test_sms_proactive_send_goes_out_on_sms_to_the_sender_id_address(
    sms_server: ChannelServer, fake_twilio: FakeTwilio
) -> None:
    proactive = sms_server.channel("twilio_sms").get_output_channel()
    await proactive.send_text_message(SENDER_ID, "Your operative is on the way.")
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT) == ["Your operative is on the way."]


async def test_rasa_output_channel_latest_finds_the_sms_channel_by_the_tracker_input_channel(
    sms_server: ChannelServer, fake_twilio: FakeTwilio
) -> None:
    """Rasa's `output_channel=latest` (tracker events API, trigger_intent) matches channels by name."""
    tracker = DialogueStateTracker.from_events(SENDER_ID, [UserUttered("hi", input_channel="twilio_sms")])
    request = SimpleNamespace(
        args={"output_channel": "latest"}, app=SimpleNamespace(ctx=SimpleNamespace(input_channels=sms_server.channels))
    )
    output = rasa_server._get_output_channel(request, tracker)  # type: ignore[arg-type]
    await output.send_response(SENDER_ID, {"text": "Your visit is confirmed.", "buttons": None})
    await sms_server.settle()
    assert fake_twilio.bodies(TENANT) == ["Your visit is confirmed."]


# -- end to end with the trained assistant ---------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.asyncio(loop_scope="session")
async def test_sms_tenant_reports_a_repair_with_a_photo_and_gets_the_reference_by_sms(
    rasa_stack: RasaStack, tmp_path: Path
) -> None:
    fake = FakeTwilio()
    await fake.start()
    channel = TwilioSmsInput(
        twilio_config(fake, SMS_NUMBER),
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
                form=lambda text, media: sms_form(TENANT, text, media=media),
                to=TENANT,
            )
            assert any(f"added your photo to {result.reference}" in line for line in result.transcript), result.log()
            with rasa_stack.session_factory() as session:
                assert len(attachments.list(session=session, repair_reference=result.reference)) == 1
            assert repair_count(rasa_stack.session_factory) == before + 1

            # Twilio retries the message that completed the report: acknowledged, no second repair job.
            for _ in range(2):
                assert (await server.post(WEBHOOK, result.forms[-1])).status == 200
            await server.settle(timeout=60)
            assert repair_count(rasa_stack.session_factory) == before + 1
    finally:
        await fake.stop()
    print(result.timings("SMS"))
    assert max(result.acks) < 1.0
