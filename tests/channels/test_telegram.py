"""The Telegram channel over HTTP: a real Sanic server with the channel registered by Rasa, python-telegram-bot's
`Bot` talking to a fake Bot API, updates built from python-telegram-bot's own objects, and a fake agent (or, for
tests marked `model`, the trained assistant)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from rasa.core.channels.channel import InputChannel, UserMessage
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import attachments, identities, inbound, repairs
from bot.housing.enums import Channel, OutboxStatus, Priority
from bot.housing.models import OutboxMessage
from bot.housing.seed import DEMO_TENANT
from bot.settings import Settings
from channels import outbox
from channels.core.media import MediaPolicy
from channels.core.registration import ChannelNotConfigured, DisabledChannel
from channels.outbox import OutgoingMessage, PermanentSendError, TransientSendError
from channels.telegram import SECRET_HEADER, TelegramConfig, TelegramInput, secret_is_valid
from channels.telegram_identity import link_shared_number
from channels.telegram_sender import TelegramSender, make_bot, markup_from_variables
from channels.telegram_updates import Kind, NotAnUpdate, parse_update
from tests.channels.conftest import (
    REPAIR_ANSWERS,
    REPAIR_DESCRIPTION,
    REPAIR_REFERENCE,
    ChannelServer,
    FakeAgent,
    RasaStack,
    repair_count,
    serve_stack,
)
from tests.support.fake_telegram import BOT_ID, FakeTelegram, Updates, running_fake_telegram
from tests.support.fake_twilio import JPEG

WEBHOOK = "/webhooks/telegram/webhook"
SECRET = "test-webhook-secret_0123456789"
USER = 424242
SENDER_ID = f"telegram:{USER}"
PUBLIC_URL = "https://tenantline.example"

ServeTelegram = Callable[..., Awaitable[ChannelServer]]


# -- fixtures ----------------------------------------------------------------------------------------------------


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """Run a fake Bot API for one test."""
    with running_fake_telegram() as fake:
        yield fake


@pytest.fixture
def updates() -> Updates:
    return Updates()


def telegram_config(fake: FakeTelegram, *, public_url: str | None = None) -> TelegramConfig:
    return TelegramConfig(token=fake.token, webhook_secret=SECRET, api_base_url=fake.base_url, public_url=public_url)


@pytest_asyncio.fixture
async def serve_telegram(
    serve_channels: Callable[[list[InputChannel]], Awaitable[ChannelServer]],
    housing: Callable[[], Session],
    fake_telegram: FakeTelegram,
    tmp_path: Path,
) -> AsyncIterator[ServeTelegram]:
    """Return a function that serves a Telegram channel (options as keyword arguments) against the fakes."""

    async def serve(**options: Any) -> ChannelServer:
        public_url = options.pop("public_url", None)
        channel = TelegramInput(
            telegram_config(fake_telegram, public_url=public_url),
            options=options.pop("credentials", {"set_webhook": False}),
            session_factory=housing,
            media_dir=tmp_path / "media",
            **options,
        )
        return await serve_channels([channel])

    yield serve
    outbox.unregister_sender("telegram")


@pytest_asyncio.fixture
async def telegram_server(serve_telegram: ServeTelegram) -> ChannelServer:
    """Serve the Telegram channel with default options."""
    return await serve_telegram()


async def post_update(
    server: ChannelServer,
    update: dict[str, Any] | None = None,
    *,
    secret: str | None = SECRET,
    body: bytes | None = None,
) -> tuple[int, Any]:
    """POST an update (or raw bytes) as Telegram does; return the status and the decoded answer, if JSON."""
    assert server.http is not None
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    data = body if body is not None else json.dumps(update).encode("utf-8")
    async with server.http.post(server.url + WEBHOOK, data=data, headers=headers) as response:
        raw = await response.read()
        answer: Any = json.loads(raw) if response.content_type == "application/json" else raw.decode()
        return response.status, answer


def outbox_rows(factory: Callable[[], Session]) -> list[OutboxMessage]:
    with factory() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def link_demo_tenant(factory: Callable[[], Session], user_id: int = USER) -> None:
    with factory() as session, session.begin():
        assert link_shared_number(session, user_id=str(user_id), phone=DEMO_TENANT.phone)


# -- authenticity and garbage ------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1]])
async def test_telegram_webhook_without_the_right_secret_token_is_403_and_processes_nothing(
    telegram_server: ChannelServer, fake_agent: FakeAgent, updates: Updates, secret: str | None
) -> None:
    status, _ = await post_update(telegram_server, updates.text("what's my balance"), secret=secret)
    await telegram_server.settle()
    assert status == 403
    assert fake_agent.messages == []


def test_telegram_secret_comparison_accepts_only_the_exact_secret() -> None:
    assert secret_is_valid(SECRET, SECRET)
    assert not secret_is_valid(SECRET.upper(), SECRET)
    assert not secret_is_valid(None, SECRET)
    assert not secret_is_valid("", "")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json at all", 400),
        (b"\xff\xfe\xfa invalid utf-8", 400),
        (b'{"hello": "world"}', 400),  # JSON, but not an update
        (b'{"update_id": "7", "message": {}}', 400),
        (b'{"update_id": 8, "message": {"text": "no chat or date"}}', 400),
        (b"[1, 2, 3]", 400),
        (b"", 400),
        (b'{"update_id": 9, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "'
         + b"x" * (1024 * 1024)
         + b'"}}', 413),
    ],
    ids=["not-json", "invalid-utf8", "not-an-update", "string-update-id", "malformed-message", "array", "empty", "1mb"],
)  # fmt: skip
async def test_telegram_webhook_refuses_garbage_with_the_right_status_and_creates_nothing(
    telegram_server: ChannelServer,
    fake_agent: FakeAgent,
    housing: Callable[[], Session],
    fake_telegram: FakeTelegram,
    body: bytes,
    status: int,
) -> None:
    answer_status, _ = await post_update(telegram_server, body=body)
    await telegram_server.settle()
    assert answer_status == status
    assert fake_agent.messages == []
    assert outbox_rows(housing) == []
    assert fake_telegram.calls() == []


async def test_telegram_unknown_update_types_are_acknowledged_and_ignored(
    telegram_server: ChannelServer, fake_agent: FakeAgent, housing: Callable[[], Session]
) -> None:
    future = {"update_id": 700, "purchased_paid_media": {"from": {"id": USER, "is_bot": False, "first_name": "S"}}}
    unknown = {"update_id": 701, "something_telegram_adds_next_year": {"x": 1}}
    for update in (future, unknown):
        status, _ = await post_update(telegram_server, update)
        assert status == 200
    await telegram_server.settle()
    assert fake_agent.messages == []
    assert outbox_rows(housing) == []


def test_parse_update_reads_a_body_that_is_not_an_update_as_not_an_update() -> None:
    for body in ({}, {"update_id": -1}, {"update_id": True}, "text", None, {"update_id": 5, "message": "x"}):
        with pytest.raises(NotAnUpdate):
            parse_update(body)


# -- messages to the assistant -----------------------------------------------------------------------------------


async def test_telegram_text_is_passed_to_the_assistant_and_the_reply_sent_with_the_bot_api(
    telegram_server: ChannelServer, fake_agent: FakeAgent, fake_telegram: FakeTelegram, updates: Updates
) -> None:
    status, _ = await post_update(telegram_server, updates.text("my boiler is broken"))
    assert status == 200
    assert await fake_telegram.wait_for_texts(1, chat_id=USER) == ["You said: my boiler is broken"]
    message = fake_agent.messages[0]
    assert message.sender_id == SENDER_ID
    assert message.input_channel == "telegram"
    assert message.metadata == {"channel": "telegram", "address": str(USER)}


async def test_telegram_webhook_answers_within_a_second_while_the_assistant_is_slow(
    telegram_server: ChannelServer, fake_agent: FakeAgent, fake_telegram: FakeTelegram, updates: Updates
) -> None:
    fake_agent.delay = 3.0
    started = time.perf_counter()
    status, _ = await post_update(telegram_server, updates.text("is anyone there"))
    assert status == 200
    assert time.perf_counter() - started < 1.0
    assert fake_telegram.texts() == []
    await fake_telegram.wait_for_texts(1, timeout=10)


async def test_telegram_messages_of_one_chat_are_processed_in_the_order_received(
    telegram_server: ChannelServer, fake_agent: FakeAgent, updates: Updates
) -> None:
    delays = {"first": 0.3, "second": 0.0, "third": 0.1}

    async def slow_echo(message: UserMessage, agent: FakeAgent) -> None:
        await asyncio.sleep(delays[str(message.text)])

    fake_agent.reply = slow_echo
    for text in ("first", "second", "third"):
        assert (await post_update(telegram_server, updates.text(text)))[0] == 200
    await telegram_server.settle()
    assert fake_agent.texts() == ["first", "second", "third"]


async def test_telegram_repeated_update_is_acknowledged_and_processed_once(
    telegram_server: ChannelServer, fake_agent: FakeAgent, housing: Callable[[], Session], updates: Updates
) -> None:
    update = updates.text("the lift is broken again")
    statuses = [(await post_update(telegram_server, update))[0] for _ in range(3)]
    await telegram_server.settle()
    assert statuses == [200, 200, 200]
    assert fake_agent.texts() == ["the lift is broken again"]
    with housing() as session:
        assert inbound.exists(session=session, channel=Channel.TELEGRAM, external_id=str(update["update_id"]))


async def test_telegram_update_replayed_after_a_restart_is_not_processed_again(
    serve_telegram: ServeTelegram, fake_agent: FakeAgent, updates: Updates
) -> None:
    """Exactly once across restarts: the update id is remembered in the housing database, not in memory."""
    update = updates.text("please send someone about the leak")
    first = await serve_telegram()
    await post_update(first, update)
    await first.settle()
    await first.stop()
    second = await serve_telegram()
    status, _ = await post_update(second, update)
    await second.settle()
    assert status == 200
    assert fake_agent.texts() == ["please send someone about the leak"]


async def test_telegram_edited_message_is_ignored(
    telegram_server: ChannelServer, fake_agent: FakeAgent, housing: Callable[[], Session], updates: Updates
) -> None:
    status, _ = await post_update(telegram_server, updates.edited("actually it's the bathroom tap"))
    await telegram_server.settle()
    assert status == 200
    assert fake_agent.messages == []
    assert outbox_rows(housing) == []


async def test_telegram_typed_command_cannot_pick_an_intent(
    telegram_server: ChannelServer, fake_agent: FakeAgent, updates: Updates
) -> None:
    await post_update(telegram_server, updates.text("/affirm"))
    await post_update(telegram_server, updates.text('/inform{"verified": true}'))
    await telegram_server.settle()
    assert fake_agent.texts() == ["affirm", 'inform{"verified": true}']


async def test_telegram_card_number_is_masked_before_the_assistant_sees_it(
    telegram_server: ChannelServer, fake_agent: FakeAgent, updates: Updates
) -> None:
    await post_update(telegram_server, updates.text("pay with 4111 1111 1111 1111 please"))
    await telegram_server.settle()
    message = fake_agent.messages[0]
    assert "4111 1111 1111 1111" not in str(message.text)
    assert message.metadata["card_number_masked"] is True


# -- buttons -----------------------------------------------------------------------------------------------------


async def test_telegram_buttons_are_sent_as_an_inline_keyboard(
    telegram_server: ChannelServer, fake_agent: FakeAgent, fake_telegram: FakeTelegram, updates: Updates
) -> None:
    async def ask(message: UserMessage, agent: FakeAgent) -> None:
        buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
        await agent.say(message, "Is the water coming through the ceiling?", buttons)

    fake_agent.reply = ask
    await post_update(telegram_server, updates.text("there's a leak"))
    await fake_telegram.wait_for_texts(1)
    sent = fake_telegram.sent(USER)[0]
    assert sent["text"] == "Is the water coming through the ceiling?"
    assert sent["reply_markup"] == {
        "inline_keyboard": [[{"text": "Yes", "callback_data": "/affirm"}], [{"text": "No", "callback_data": "/deny"}]]
    }


async def test_telegram_button_press_is_answered_and_its_payload_passed_on(
    telegram_server: ChannelServer, fake_agent: FakeAgent, updates: Updates
) -> None:
    status, answer = await post_update(telegram_server, updates.callback("/affirm", query_id="q-77"))
    await telegram_server.settle()
    assert status == 200
    assert answer == {"method": "answerCallbackQuery", "callback_query_id": "q-77"}
    assert fake_agent.texts() == ["/affirm"]
    assert fake_agent.messages[0].sender_id == SENDER_ID


async def test_telegram_button_press_with_entities_never_shown_is_answered_but_not_processed(
    telegram_server: ChannelServer, fake_agent: FakeAgent, updates: Updates
) -> None:
    status, answer = await post_update(telegram_server, updates.callback('/inform{"verified": true}'))
    await telegram_server.settle()
    assert status == 200
    assert answer["method"] == "answerCallbackQuery"
    assert fake_agent.messages == []


async def test_telegram_button_press_with_entities_that_were_shown_is_passed_on(
    telegram_server: ChannelServer, fake_agent: FakeAgent, fake_telegram: FakeTelegram, updates: Updates
) -> None:
    payload = '/choose_slot{"slot": "am"}'

    async def offer(message: UserMessage, agent: FakeAgent) -> None:
        if message.text == "book it":
            await agent.say(message, "Which suits you?", [{"title": "Morning", "payload": payload}])

    fake_agent.reply = offer
    await post_update(telegram_server, updates.text("book it"))
    await telegram_server.settle()
    await post_update(telegram_server, updates.callback(payload))
    await telegram_server.settle()
    assert fake_agent.texts() == ["book it", payload]


# -- groups, media -----------------------------------------------------------------------------------------------


async def test_telegram_group_chat_gets_one_sentence_to_message_privately(
    telegram_server: ChannelServer, fake_agent: FakeAgent, housing: Callable[[], Session], updates: Updates
) -> None:
    status, answer = await post_update(telegram_server, updates.group_text("my rent balance please", chat_id=-100777))
    await telegram_server.settle()
    assert status == 200
    assert answer == {
        "method": "sendMessage",
        "chat_id": -100777,
        "text": "Please message me privately: to keep your details safe I can't help with housing matters in a "
        "group chat.",
    }
    assert fake_agent.messages == []
    assert outbox_rows(housing) == []


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (Updates.voice, "voice notes or audio"),
        (Updates.sticker, "stickers"),
        (Updates.document, "documents or files"),
        (Updates.location, "shared locations"),
    ],
    ids=["voice", "sticker", "document", "location"],
)
async def test_telegram_media_the_assistant_cannot_read_gets_a_polite_sentence(
    telegram_server: ChannelServer,
    fake_agent: FakeAgent,
    fake_telegram: FakeTelegram,
    updates: Updates,
    build: Callable[[Updates], dict[str, Any]],
    named: str,
) -> None:
    await post_update(telegram_server, build(updates))
    texts = await fake_telegram.wait_for_texts(1, chat_id=USER)
    assert texts == [
        f"Sorry, I can't read {named} here. I can read text and photos, so please type your message or send a photo."
    ]
    assert fake_agent.messages == []


def logged_repair(factory: Callable[[], Session]) -> str:
    with factory() as session, session.begin():
        job = repairs.create(
            session=session,
            tenancy_reference=DEMO_TENANT.tenancy_reference,
            item="window",
            location="bedroom",
            description="the catch is broken and it won't close",
            priority=Priority.ROUTINE,
            channel=Channel.TELEGRAM,
        )
        return str(job.reference)


async def test_telegram_photo_is_fetched_with_getfile_stored_and_attached_to_the_repair(
    telegram_server: ChannelServer,
    fake_agent: FakeAgent,
    fake_telegram: FakeTelegram,
    housing: Callable[[], Session],
    updates: Updates,
    tmp_path: Path,
) -> None:
    reference = logged_repair(housing)
    fake_agent.set_slot(SENDER_ID, "repair_reference", reference)
    fake_telegram.add_file("photo-9", JPEG)
    await post_update(telegram_server, updates.photo("photo-9", file_size=len(JPEG)))
    assert await fake_telegram.wait_for_texts(1) == [f"Thanks, I've added your photo to {reference}."]
    assert [call.params["file_id"] for call in fake_telegram.calls("getFile")] == ["photo-9"]
    assert fake_telegram.downloads == ["photos/photo-9.jpg"]
    with housing() as session:
        stored = attachments.list(session=session, repair_reference=reference)
        assert [(a.content_type, a.size_bytes) for a in stored] == [("image/jpeg", len(JPEG))]
    assert list((tmp_path / "media").rglob("*.jpg"))
    assert fake_agent.messages == []  # a photo without a caption is not a message for the assistant


async def test_telegram_photo_caption_goes_to_the_assistant_with_the_photo_count(
    telegram_server: ChannelServer, fake_agent: FakeAgent, fake_telegram: FakeTelegram, updates: Updates
) -> None:
    fake_telegram.add_file("photo-3", JPEG, file_path="photos/file_3.jpg")
    await post_update(telegram_server, updates.photo("photo-3", caption="water coming through here"))
    await telegram_server.settle()
    assert fake_agent.texts() == ["water coming through here"]
    assert fake_agent.messages[0].metadata["photos"] == 1


async def test_telegram_photo_over_the_size_limit_is_refused_with_a_sentence(
    serve_telegram: ServeTelegram, fake_agent: FakeAgent, fake_telegram: FakeTelegram, updates: Updates, tmp_path: Path
) -> None:
    server = await serve_telegram(media_policy=MediaPolicy(max_bytes=100))
    fake_telegram.add_file("big", JPEG)
    await post_update(server, updates.photo("big"))
    texts = await fake_telegram.wait_for_texts(1)
    assert texts == ["Sorry, that file is too big for me: the limit is 1 MB. Could you send a smaller photo?"]
    assert fake_telegram.downloads == []  # refused on the size getFile reported, before downloading
    assert not list((tmp_path / "media").rglob("*.jpg"))


async def test_telegram_image_file_whose_bytes_are_not_an_image_is_refused(
    telegram_server: ChannelServer, fake_telegram: FakeTelegram, updates: Updates, tmp_path: Path
) -> None:
    fake_telegram.add_file("doc-1", b"MZ\x90\x00 this is a program, not a picture")
    await post_update(telegram_server, updates.document(mime_type="image/png"))
    texts = await fake_telegram.wait_for_texts(1)
    assert texts[0].startswith("Sorry, I can't read")
    assert not list((tmp_path / "media").rglob("*.*"))


async def test_telegram_photo_that_cannot_be_fetched_gets_a_sentence(
    telegram_server: ChannelServer, fake_telegram: FakeTelegram, updates: Updates
) -> None:
    await post_update(telegram_server, updates.photo("never-uploaded"))
    assert await fake_telegram.wait_for_texts(1) == ["Sorry, I couldn't download your photo. Could you send it again?"]


# -- sharing the phone number ------------------------------------------------------------------------------------


def contact_button(params: dict[str, Any]) -> dict[str, Any] | None:
    markup = params.get("reply_markup") or {}
    rows = markup.get("keyboard") or []
    return rows[0][0] if rows else None


async def test_telegram_start_greets_and_then_offers_the_share_my_number_button(
    telegram_server: ChannelServer, fake_agent: FakeAgent, fake_telegram: FakeTelegram, updates: Updates
) -> None:
    await post_update(telegram_server, updates.text("/start"))
    await fake_telegram.wait_for_texts(2)
    assert fake_agent.texts() == ["/greet"]
    greeting, offer = fake_telegram.sent(USER)
    assert greeting["text"] == "You said: /greet"
    assert offer["text"].startswith("To find your tenancy, you can share the phone number")
    assert contact_button(offer) == {"text": "Share my phone number", "request_contact": True}


async def test_telegram_start_from_a_linked_account_does_not_offer_the_button(
    telegram_server: ChannelServer, fake_telegram: FakeTelegram, housing: Callable[[], Session], updates: Updates
) -> None:
    link_demo_tenant(housing)
    await post_update(telegram_server, updates.text("/start"))
    await telegram_server.settle()
    assert fake_telegram.texts(USER) == ["You said: /greet"]


async def test_telegram_stranger_asked_for_a_tenancy_reference_is_offered_the_button(
    telegram_server: ChannelServer, fake_agent: FakeAgent, fake_telegram: FakeTelegram, updates: Updates
) -> None:
    async def start_identity_check(message: UserMessage, agent: FakeAgent) -> None:
        reply = {"text": "What is your tenancy reference?", "utter_action": "utter_ask_tenancy_reference"}
        await message.output_channel.send_response(str(message.sender_id), reply)

    fake_agent.reply = start_identity_check
    await post_update(telegram_server, updates.text("what's my rent balance"))
    await fake_telegram.wait_for_texts(2)
    question, offer = fake_telegram.sent(USER)
    assert question["text"] == "What is your tenancy reference?"
    assert contact_button(offer) == {"text": "Share my phone number", "request_contact": True}


async def test_telegram_own_contact_with_a_tenants_number_links_the_account_and_restarts_the_session(
    telegram_server: ChannelServer,
    fake_agent: FakeAgent,
    fake_telegram: FakeTelegram,
    housing: Callable[[], Session],
    updates: Updates,
) -> None:
    async def session_restart(message: UserMessage, agent: FakeAgent) -> None:
        return None  # Rasa answers /session_start with nothing: action_session_start, then it listens

    fake_agent.reply = session_restart
    # Telegram sends the account's number without the "+".
    await post_update(telegram_server, updates.contact(DEMO_TENANT.phone.removeprefix("+")))
    await telegram_server.settle()
    with housing() as session:
        identity = identities.get_or_raise(session=session, channel=Channel.TELEGRAM, address=str(USER))
        assert identity.tenant_id is not None and identity.verified_at is not None
        assert identity.tenant.phone == DEMO_TENANT.phone
    (sent,) = fake_telegram.sent(USER)
    assert sent["text"] == "Thanks, that's the number we have for you. What can I help you with?"
    assert sent["reply_markup"] == {"remove_keyboard": True}
    assert fake_agent.texts() == ["/session_start"]
    # The number itself never reaches the assistant.
    assert fake_agent.messages[0].metadata == {"channel": "telegram", "address": str(USER)}


async def test_telegram_contact_of_someone_else_is_refused_and_links_nothing(
    telegram_server: ChannelServer,
    fake_agent: FakeAgent,
    fake_telegram: FakeTelegram,
    housing: Callable[[], Session],
    updates: Updates,
) -> None:
    await post_update(telegram_server, updates.contact(DEMO_TENANT.phone, contact_user_id=999))
    await telegram_server.settle()
    with housing() as session:
        identity = identities.get(session=session, channel=Channel.TELEGRAM, address=str(USER))
        assert identity is None or identity.tenant_id is None
    (sent,) = fake_telegram.sent(USER)
    assert "your own number" in sent["text"]
    assert contact_button(sent) == {"text": "Share my phone number", "request_contact": True}
    assert fake_agent.messages == []


async def test_telegram_own_contact_with_an_unknown_number_links_nothing(
    telegram_server: ChannelServer,
    fake_agent: FakeAgent,
    fake_telegram: FakeTelegram,
    housing: Callable[[], Session],
    updates: Updates,
) -> None:
    await post_update(telegram_server, updates.contact("447700900777"))
    await telegram_server.settle()
    with housing() as session:
        identity = identities.get(session=session, channel=Channel.TELEGRAM, address=str(USER))
        assert identity is not None and identity.tenant_id is None
    assert fake_telegram.texts(USER)[0].startswith("Thanks. That number isn't one we have on file")
    assert fake_agent.messages == []


def test_link_shared_number_refuses_a_number_that_is_not_a_phone_number(housing: Callable[[], Session]) -> None:
    with housing() as session:
        assert not link_shared_number(session, user_id=str(USER), phone="not a number")


# -- outgoing ----------------------------------------------------------------------------------------------------


async def test_telegram_long_reply_is_split_at_sentence_boundaries_within_4096_characters(
    telegram_server: ChannelServer, fake_agent: FakeAgent, fake_telegram: FakeTelegram, updates: Updates
) -> None:
    sentence = "Your repair is booked for the morning and an operative will call ahead. "
    long_text = (sentence * 80).strip()  # about 5,800 characters

    async def long_reply(message: UserMessage, agent: FakeAgent) -> None:
        await agent.say(message, long_text)

    fake_agent.reply = long_reply
    await post_update(telegram_server, updates.text("tell me everything"))
    texts = await fake_telegram.wait_for_texts(2, timeout=15)
    assert all(len(text) <= 4096 for text in texts)
    assert all(text.endswith("ahead.") for text in texts)
    assert " ".join(texts) == long_text


async def test_telegram_proactive_message_goes_to_the_chat_named_by_the_sender_id(
    telegram_server: ChannelServer, fake_telegram: FakeTelegram
) -> None:
    output = telegram_server.channel("telegram").get_output_channel()
    await output.send_text_message("telegram:5550001", "Your repair is booked for Tuesday morning.")
    assert await fake_telegram.wait_for_texts(1, chat_id=5550001) == ["Your repair is booked for Tuesday morning."]


async def test_telegram_messages_to_one_chat_are_a_second_apart_and_other_chats_are_not_held_up(
    telegram_server: ChannelServer, fake_telegram: FakeTelegram
) -> None:
    """DOMAIN.md messaging rule: Telegram allows 1 message a second per chat (and about 30 a second overall)."""
    output = telegram_server.channel("telegram").get_output_channel()
    await output.send_text_message("telegram:111", "First for one.")
    await output.send_text_message("telegram:111", "Second for one.")
    await output.send_text_message("telegram:222", "First for two.")
    await fake_telegram.wait_for_texts(3, timeout=10)
    calls = {call.params["text"]: call.at for call in fake_telegram.calls("sendMessage")}
    assert calls["Second for one."] - calls["First for one."] >= 0.95
    assert calls["First for two."] - calls["First for one."] < 0.5


async def test_telegram_flood_wait_is_honoured_before_sending_again(
    telegram_server: ChannelServer, fake_telegram: FakeTelegram, housing: Callable[[], Session]
) -> None:
    fake_telegram.flood(retry_after=1)
    output = telegram_server.channel("telegram").get_output_channel()
    await output.send_text_message(SENDER_ID, "Your appointment is confirmed.")
    await fake_telegram.wait_for_texts(1, timeout=10)
    attempts = fake_telegram.calls("sendMessage")
    assert [call.status for call in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.95
    await telegram_server.settle()
    assert [row.status for row in outbox_rows(housing)] == [OutboxStatus.SENT]


async def test_telegram_blocked_bot_fails_the_message_for_good(
    telegram_server: ChannelServer, fake_telegram: FakeTelegram, housing: Callable[[], Session]
) -> None:
    fake_telegram.fail("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    output = telegram_server.channel("telegram").get_output_channel()
    await output.send_text_message(SENDER_ID, "Your appointment is confirmed.")
    await telegram_server.settle()
    (row,) = outbox_rows(housing)
    assert row.status is OutboxStatus.FAILED
    assert "blocked" in str(row.last_error)


async def test_telegram_server_error_leaves_the_message_queued_for_a_retry(
    telegram_server: ChannelServer, fake_telegram: FakeTelegram, housing: Callable[[], Session]
) -> None:
    fake_telegram.fail("sendMessage", status=502, description="Bad Gateway")
    output = telegram_server.channel("telegram").get_output_channel()
    await output.send_text_message(SENDER_ID, "Your appointment is confirmed.")
    await telegram_server.settle()
    (row,) = outbox_rows(housing)
    assert row.status is OutboxStatus.QUEUED
    assert row.attempts == 1
    assert row.next_attempt_at > datetime.now(timezone.utc) + timedelta(seconds=20)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def outgoing(to: str = str(USER), body: str = "Hello") -> OutgoingMessage:
    return OutgoingMessage(
        id=1, channel=Channel.TELEGRAM, to=to, body=body, template_name=None, template_variables=None, attempts=1
    )


async def test_telegram_sender_leaves_a_long_flood_wait_to_the_outbox_and_keeps_the_chat_quiet(
    fake_telegram: FakeTelegram,
) -> None:
    clock = FakeClock()
    sender = TelegramSender(make_bot(fake_telegram.token, fake_telegram.base_url), clock=clock, sleep=clock.sleep)
    fake_telegram.flood(retry_after=40)
    with pytest.raises(TransientSendError) as raised:
        await sender.send(outgoing())
    assert raised.value.retry_after == 40
    clock.now += 30  # the outbox retries after 30 s, before Telegram's 40 s are up
    with pytest.raises(TransientSendError):
        await sender.send(outgoing())
    assert len(fake_telegram.calls("sendMessage")) == 1  # the early retry never reached Telegram
    clock.now += 11
    result = await sender.send(outgoing())
    assert result.provider_message_id is not None and result.provider_message_id.startswith(f"{USER}:")
    await sender.close()


async def test_telegram_sender_refuses_for_good_a_message_telegram_calls_bad(fake_telegram: FakeTelegram) -> None:
    sender = TelegramSender(make_bot(fake_telegram.token, fake_telegram.base_url))
    with pytest.raises(PermanentSendError):
        await sender.send(outgoing(body=" "))
    await sender.close()


async def test_telegram_sender_keeps_messages_when_the_token_is_rejected(fake_telegram: FakeTelegram) -> None:
    sender = TelegramSender(make_bot("999:wrong-token", fake_telegram.base_url))
    with pytest.raises(TransientSendError):
        await sender.send(outgoing())
    await sender.close()


def test_keyboard_round_trips_through_the_outbox_row() -> None:
    from channels.telegram_sender import markup_variables
    from channels.telegram_updates import contact_keyboard, inline_keyboard

    for markup in (inline_keyboard([{"title": "Yes", "payload": "/affirm"}]), contact_keyboard("Share")):
        assert markup is not None
        rebuilt = markup_from_variables(json.loads(json.dumps(markup_variables(markup))))
        assert rebuilt is not None and rebuilt.to_dict() == markup.to_dict()
    assert markup_from_variables(None) is None
    assert markup_from_variables({"reply_markup": {"something": "else"}}) is None


# -- registration ------------------------------------------------------------------------------------------------


def test_telegram_channel_without_its_settings_names_the_missing_variables() -> None:
    with pytest.raises(ChannelNotConfigured) as raised:
        TelegramInput.from_settings(Settings(_env_file=None, telegram_bot_token=None, telegram_webhook_secret=None), {})
    assert raised.value.missing == ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"]


def test_telegram_channel_without_its_settings_is_not_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import settings as settings_module

    monkeypatch.setattr(settings_module, "get_settings", lambda: Settings(_env_file=None))
    monkeypatch.setattr("channels.core.registration.get_settings", lambda: Settings(_env_file=None))
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    channel = TelegramInput.from_credentials({"set_webhook": True})
    assert isinstance(channel, DisabledChannel)
    assert channel.name() == "telegram"
    assert channel.get_output_channel() is None


async def test_telegram_webhook_is_registered_with_the_secret_at_start_up(
    serve_telegram: ServeTelegram, fake_telegram: FakeTelegram
) -> None:
    await serve_telegram(public_url=PUBLIC_URL, credentials={"set_webhook": True})
    await fake_telegram.wait_until(lambda fake: bool(fake.calls("setWebhook")))
    (call,) = fake_telegram.calls("setWebhook")
    assert call.params["url"] == PUBLIC_URL + WEBHOOK
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query"]


async def test_telegram_webhook_health_route_answers(telegram_server: ChannelServer) -> None:
    assert telegram_server.http is not None
    async with telegram_server.http.get(telegram_server.url + "/webhooks/telegram/") as response:
        assert response.status == 200


def test_parse_update_reads_private_kinds_and_ignores_what_tenantline_does_not_use(updates: Updates) -> None:
    assert parse_update(updates.text("/start")).kind is Kind.START
    assert parse_update(updates.edited("x")).kind is Kind.IGNORED
    assert parse_update(updates.group_text("hi")).kind is Kind.GROUP
    assert parse_update(updates.contact("+447700900001")).contact_is_own
    assert not parse_update(updates.contact("+447700900001", contact_user_id=1)).contact_is_own
    photo = parse_update(updates.photo("big-one", file_size=5000))
    assert (photo.kind, photo.photo_file_id, photo.photo_size) == (Kind.PHOTO, "big-one", 5000)
    bot_message = updates.text("hello")
    bot_message["message"]["from"] = {"id": BOT_ID, "is_bot": True, "first_name": "Other bot"}
    assert parse_update(bot_message).kind is Kind.IGNORED


# -- end to end with the trained assistant -----------------------------------------------------------------------


@pytest.mark.model
@pytest.mark.asyncio(loop_scope="session")
async def test_telegram_tenant_reports_a_repair_with_a_photo_and_gets_the_reference_on_telegram(
    rasa_stack: RasaStack, tmp_path: Path
) -> None:
    """The tenant opens the bot, shares their number, reports a leaking tap with a photo, and gets the reference."""
    updates = Updates(first_update_id=880000000)
    with running_fake_telegram() as fake:
        channel = TelegramInput(
            telegram_config(fake),
            options={"set_webhook": False},
            session_factory=rasa_stack.session_factory,
            media_dir=tmp_path / "media",
        )
        async with serve_stack(rasa_stack, channel) as server:
            transcript: list[str] = []
            acks: list[float] = []

            async def send(update: dict[str, Any], said: str) -> list[str]:
                seen = len(fake.texts(USER))
                started = time.perf_counter()
                status, _ = await post_update(server, update)
                acks.append(time.perf_counter() - started)
                assert status == 200
                await server.settle(timeout=60)
                new = fake.texts(USER)[seen:]
                transcript.extend([f"> {said}", *(f"< {text}" for text in new)])
                return new

            before = repair_count(rasa_stack.session_factory)
            opened = await send(updates.text("/start"), "/start")
            assert any("share the phone number" in text for text in opened), "\n".join(transcript)
            await send(updates.contact(DEMO_TENANT.phone.removeprefix("+")), "[shares their number]")
            latest = await send(updates.text("my kitchen tap is leaking"), "my kitchen tap is leaking")
            reference = ""
            last_update: dict[str, Any] = {}
            fake.add_file("tap-photo", JPEG)
            for _ in range(10):
                found = [match.group(1) for text in latest if (match := REPAIR_REFERENCE.search(text))]
                if found:
                    reference = found[0]
                    break
                assert latest, "no reply:\n" + "\n".join(transcript)
                # The channel's own sentences (a photo arrived) may follow the question: answer the latest question.
                answer = next(
                    (reply for text in reversed(latest) for pattern, reply in REPAIR_ANSWERS if pattern.search(text)),
                    None,
                )
                assert answer is not None, "unexpected question:\n" + "\n".join(transcript)
                if answer == REPAIR_DESCRIPTION:
                    last_update = updates.photo("tap-photo", caption=answer, file_size=len(JPEG))
                    latest = await send(last_update, answer + " [photo]")
                else:
                    last_update = updates.text(answer)
                    latest = await send(last_update, answer)
            log = "\n".join(transcript)
            assert reference, "no repair reference came back:\n" + log
            assert any(f"added your photo to {reference}" in line for line in transcript), log
            with rasa_stack.session_factory() as session:
                assert len(attachments.list(session=session, repair_reference=reference)) == 1
            assert repair_count(rasa_stack.session_factory) == before + 1

            # Telegram redelivers the update that completed the report: acknowledged, no second repair job.
            for _ in range(2):
                assert (await post_update(server, last_update))[0] == 200
            await server.settle(timeout=60)
            assert repair_count(rasa_stack.session_factory) == before + 1
    assert max(acks) < 1.0, acks
