"""The shared channel core: text shaping, buttons, keywords, intake de-duplication, ordering, media, registration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from bot.housing.enums import Channel
from bot.housing.inbound import Claim, Held
from bot.landlord import LandlordFileError, load_landlord
from bot.settings import Settings
from channels.core.buttons import ButtonMemory, buttons_from_events, option_number, payload_for, render_numbered
from channels.core.inbox import Inbox
from channels.core.keywords import Keyword, classify
from channels.core.media import (
    FetchedMedia,
    MediaPolicy,
    MediaRejected,
    PendingMedia,
    case_reference,
    check_media,
    store_media,
)
from channels.core.messages import channel_text
from channels.core.ordering import ConversationWorkers
from channels.core.output import parse_sender_id, reply_key, sender_id_for
from channels.core.registration import DisabledChannel, build_or_disable
from channels.core.text import is_gsm7, sms_segments, split_text, to_gsm7
from channels.twilio_sms import TwilioSmsInput
from channels.whatsapp import WhatsAppInput
from tests.support.fake_twilio import JPEG, PNG

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# -- text ------------------------------------------------------------------------------------------------------


def test_split_text_keeps_short_text_whole() -> None:
    assert split_text("  Your repair is booked.  ", 1600) == ["Your repair is booked."]


def test_split_text_breaks_between_sentences_within_the_limit() -> None:
    text = "First sentence here. Second sentence here! Third one, a question? Fourth."
    parts = split_text(text, 45)
    assert parts == ["First sentence here. Second sentence here!", "Third one, a question? Fourth."]
    assert all(len(part) <= 45 for part in parts)


def test_split_text_keeps_a_closing_quote_with_its_sentence() -> None:
    parts = split_text('He said "the boiler is off." Then he left the flat.', 30)
    assert parts[0] == 'He said "the boiler is off."'


def test_split_text_cuts_an_overlong_sentence_at_a_space() -> None:
    sentence = "word " * 100
    parts = split_text(sentence, 50)
    assert all(len(part) <= 50 for part in parts)
    assert " ".join(parts).split() == sentence.split()


def test_split_text_of_blank_text_sends_nothing() -> None:
    assert split_text(" \n ", 160) == []


def test_split_text_rejects_a_silly_limit() -> None:
    with pytest.raises(ValueError):
        split_text("hello", 5)


def test_to_gsm7_swaps_typographic_characters_so_an_sms_keeps_160_characters_a_segment() -> None:
    """DOMAIN.md, messaging channel rules: 160 GSM-7 characters a segment, 70 with any non-GSM character."""
    text = "We\u2019ll visit on Tuesday \u2013 between 8am and 12pm\u2026 " * 3
    assert not is_gsm7(text)
    assert sms_segments(text) == 3  # UCS-2: 67 characters a segment
    fixed = to_gsm7(text)
    assert is_gsm7(fixed)
    assert sms_segments(fixed) == 1  # one 160-character GSM-7 segment instead of three


def test_to_gsm7_leaves_emoji_and_pound_signs_alone() -> None:
    assert to_gsm7("Rent is £95.50 \U0001f44d") == "Rent is £95.50 \U0001f44d"


def test_sms_segments_counts_extension_characters_twice() -> None:
    assert sms_segments("€" * 80) == 1  # 160 septets
    assert sms_segments("€" * 81) == 2


# -- buttons ---------------------------------------------------------------------------------------------------

BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]


def test_render_numbered_lists_buttons_under_the_text() -> None:
    assert render_numbered("Is it leaking now?", BUTTONS) == "Is it leaking now?\n\n1. Yes\n2. No"


def test_render_numbered_without_buttons_is_the_text() -> None:
    assert render_numbered("Hello", []) == "Hello"


@pytest.mark.parametrize(("text", "number"), [("2", 2), (" 2. ", 2), ("(1)", 1), ("Option 1", 1), ("2nd", None)])
def test_option_number_reads_only_a_bare_option(text: str, number: int | None) -> None:
    assert option_number(text) == number


def test_payload_for_maps_a_number_to_its_button_and_ignores_out_of_range() -> None:
    assert payload_for("1", BUTTONS) == "/affirm"
    assert payload_for("3", BUTTONS) is None
    assert payload_for("yes", BUTTONS) is None


def test_button_memory_forgets_options_once_answered_but_still_knows_the_conversation() -> None:
    memory = ButtonMemory()
    memory.remember("sms:+447700900001", BUTTONS)
    assert memory.resolve("sms:+447700900001", "2") == "/deny"
    memory.forget("sms:+447700900001")
    assert memory.known("sms:+447700900001")
    assert memory.resolve("sms:+447700900001", "2") is None


def test_button_memory_is_bounded() -> None:
    memory = ButtonMemory(max_conversations=2)
    for sender in ("a", "b", "c"):
        memory.remember(sender, BUTTONS)
    assert not memory.known("a")
    assert memory.known("c")


def test_buttons_from_events_returns_the_buttons_shown_since_the_tenant_last_wrote() -> None:
    events = [
        {"event": "user", "text": "talk to someone"},
        {"event": "bot", "text": "Shall I?", "data": {"buttons": BUTTONS}},
        {"event": "bot", "text": "Or call us.", "data": {}},
    ]
    assert buttons_from_events(events) == BUTTONS
    assert buttons_from_events([*events, {"event": "user", "text": "2"}]) == []


# -- keywords --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", Keyword.STOP),
        (" stop. ", Keyword.STOP),
        ("Unsubscribe", Keyword.STOP),
        ("START", Keyword.START),
        ("help!", Keyword.HELP),
        ("stop the leak", None),
        ("cancel", None),
        ("", None),
    ],
)
def test_classify_recognises_opt_out_keywords_only_as_the_whole_message(text: str, keyword: Keyword | None) -> None:
    """DOMAIN.md, messaging channel rules: STOP / START / HELP are opt-out keywords."""
    assert classify(text) == keyword


# -- sender ids ------------------------------------------------------------------------------------------------


def test_sender_id_round_trips_channel_and_address() -> None:
    sender = sender_id_for(Channel.TELEGRAM, "123456789")
    assert sender == "telegram:123456789"
    assert parse_sender_id(sender) == (Channel.TELEGRAM, "123456789")
    assert parse_sender_id("rest-user-1") is None
    assert parse_sender_id("fax:+44") is None


def test_reply_key_fits_the_outbox_key_length() -> None:
    assert len(reply_key("sms:+447700900001", "x" * 200)) <= 110


# -- inbox -----------------------------------------------------------------------------------------------------


async def test_inbox_accepts_a_message_once_even_after_a_restart(housing: Callable[[], Session]) -> None:
    inbox = Inbox(Channel.SMS, session_factory=housing, replica="r1")
    assert await inbox.accept("SM1", {"text": "hi"}, "sms:+447700900001")
    claim = await inbox.claim_next("sms:+447700900001")
    assert isinstance(claim, Claim)
    await inbox.done(claim)
    restarted = Inbox(Channel.SMS, session_factory=housing, replica="r1")
    assert not await restarted.accept("SM1", {"text": "hi"}, "sms:+447700900001")
    assert restarted.pending() == []


async def test_inbox_keeps_unprocessed_messages_for_any_replica(housing: Callable[[], Session]) -> None:
    inbox = Inbox(Channel.SMS, session_factory=housing, replica="r1")
    await inbox.accept("SM1", {"text": "first"}, "sms:+447700900001")
    await inbox.accept("SM2", {"text": "second"}, "sms:+447700900001")
    claim = await inbox.claim_next("sms:+447700900001")
    assert isinstance(claim, Claim)
    await inbox.done(claim)
    assert Inbox(Channel.SMS, session_factory=housing, replica="r2").pending() == [("SM2", {"text": "second"})]


async def test_inbox_repeat_while_still_processing_is_not_accepted(housing: Callable[[], Session]) -> None:
    inbox = Inbox(Channel.SMS, session_factory=housing, replica="r1")
    results = await asyncio.gather(*(inbox.accept("SM9", {"n": n}, "sms:+447700900001") for n in range(4)))
    assert sorted(results) == [False, False, False, True]
    assert len(inbox.pending()) == 1


async def test_inbox_same_id_on_another_channel_is_a_different_message(housing: Callable[[], Session]) -> None:
    assert await Inbox(Channel.SMS, session_factory=housing).accept("1", {}, "sms:+447700900001")
    assert await Inbox(Channel.TELEGRAM, session_factory=housing).accept("1", {}, "telegram:42")


async def test_inbox_second_replica_waits_while_the_first_holds_the_conversation(
    housing: Callable[[], Session],
) -> None:
    first = Inbox(Channel.SMS, session_factory=housing, replica="r1")
    second = Inbox(Channel.SMS, session_factory=housing, replica="r2")
    await first.accept("SM1", {"text": "first"}, "sms:+447700900001")
    await second.accept("SM2", {"text": "second"}, "sms:+447700900001")

    held = await first.claim_next("sms:+447700900001")
    waiting = await second.claim_next("sms:+447700900001")

    assert isinstance(held, Claim) and held.external_id == "SM1"
    assert isinstance(waiting, Held) and waiting.replica == "r1"
    await first.done(held)
    taken = await second.claim_next("sms:+447700900001")
    assert isinstance(taken, Claim) and taken.external_id == "SM2"


async def test_inbox_heartbeat_keeps_a_slow_claim_from_being_taken_over(housing: Callable[[], Session]) -> None:
    slow = Inbox(Channel.SMS, session_factory=housing, replica="r1", lease_seconds=0.6)
    other = Inbox(Channel.SMS, session_factory=housing, replica="r2", lease_seconds=0.6)
    await slow.accept("SM1", {"text": "first"}, "sms:+447700900001")
    claim = await slow.claim_next("sms:+447700900001")
    assert isinstance(claim, Claim)

    async with slow.heartbeat(claim):
        await asyncio.sleep(1.5)  # well past the first lease
        assert isinstance(await other.claim_next("sms:+447700900001"), Held)
    await slow.done(claim)
    assert await other.claim_next("sms:+447700900001") is None


# -- ordering --------------------------------------------------------------------------------------------------


async def test_conversation_workers_run_one_conversation_in_order_and_others_alongside() -> None:
    workers = ConversationWorkers()
    done: list[str] = []

    def job(name: str, delay: float) -> Callable[[], asyncio.Future[None]]:
        async def run() -> None:
            await asyncio.sleep(delay)
            done.append(name)

        return run  # type: ignore[return-value]

    workers.submit("a", job("a1", 0.2))
    workers.submit("a", job("a2", 0.0))
    workers.submit("b", job("b1", 0.05))
    await workers.drain(timeout=5)
    assert done == ["b1", "a1", "a2"]
    assert workers.busy_conversations == 0


async def test_conversation_workers_carry_on_after_a_failing_job() -> None:
    workers = ConversationWorkers()
    done: list[str] = []

    async def fail() -> None:
        raise RuntimeError("boom")

    async def succeed() -> None:
        done.append("ok")

    workers.submit("a", fail)
    workers.submit("a", succeed)
    await workers.drain(timeout=5)
    assert done == ["ok"]


# -- media -----------------------------------------------------------------------------------------------------


def test_check_media_accepts_real_photos_and_refuses_impostors() -> None:
    policy = MediaPolicy()
    assert check_media(JPEG, "image/jpeg; charset=binary", policy).content_type == "image/jpeg"
    assert check_media(PNG, "image/png", policy).content_type == "image/png"
    with pytest.raises(MediaRejected) as impostor:
        check_media(PNG, "image/jpeg", policy)
    assert impostor.value.reason == "unsupported"
    with pytest.raises(MediaRejected) as kind:
        check_media(b"%PDF-1.7", "application/pdf", policy)
    assert kind.value.reason == "unsupported"
    with pytest.raises(MediaRejected) as big:
        check_media(JPEG, "image/jpeg", MediaPolicy(max_bytes=10))
    assert big.value.reason == "too_large"


def test_store_media_names_files_by_content_and_stores_a_repeat_once(tmp_path: Path) -> None:
    first = store_media(FetchedMedia(JPEG, "image/jpeg"), tmp_path)
    second = store_media(FetchedMedia(JPEG, "image/jpeg"), tmp_path)
    assert first == second
    assert first.path.endswith(f"{first.sha256}.jpg")
    assert len(list(tmp_path.rglob("*.jpg"))) == 1


def test_pending_media_keeps_photos_per_conversation_until_cleared(tmp_path: Path) -> None:
    stored = store_media(FetchedMedia(JPEG, "image/jpeg"), tmp_path)
    pending = PendingMedia(tmp_path)
    pending.add("sms:+447700900001", [stored])
    pending.add("sms:+447700900001", [stored])
    assert pending.peek("sms:+447700900001") == [stored]
    assert pending.peek("sms:+447700900002") == []
    pending.clear("sms:+447700900001")
    assert pending.peek("sms:+447700900001") == []


def test_case_reference_prefers_the_filled_slot_then_the_case_logged_this_session() -> None:
    logged = [{"event": "slot", "name": "repair_reference", "value": "R-000123"}]
    assert case_reference([], {"repair_reference": "R-000999"}) == ("repair", "R-000999")
    assert case_reference([*logged, {"event": "slot", "name": "repair_reference", "value": None}], {}) == (
        "repair",
        "R-000123",
    )
    assert case_reference([*logged, {"event": "session_started"}], {}) is None
    assert case_reference([], {"hazard_reference": "H-000001"}) == ("hazard", "H-000001")


# -- registration ----------------------------------------------------------------------------------------------


def test_channel_without_its_settings_is_not_registered_and_says_which_are_missing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("channels.core.registration.get_settings", lambda: Settings(_env_file=None))
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_SMS_FROM", "TENANTLINE_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level("WARNING"):
        channel = TwilioSmsInput.from_credentials(None)
    assert isinstance(channel, DisabledChannel)
    assert channel.name() == "twilio_sms"
    assert channel.get_output_channel() is None
    assert [r.getMessage() for r in caplog.records] == [
        "twilio_sms channel not registered: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_SMS_FROM, "
        "TENANTLINE_PUBLIC_URL to enable it"
    ]


def test_channel_with_its_settings_is_built_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(
        _env_file=None,
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token="token",
        twilio_whatsapp_from="+441134960001",
        twilio_sms_from="+441134960000",
        public_url="https://tenantline.example",
    )
    monkeypatch.setattr("channels.core.registration.get_settings", lambda: settings)
    channel = build_or_disable(WhatsAppInput, {"sms_fallback": False})
    assert isinstance(channel, WhatsAppInput)
    assert channel.sms_from is None  # the credentials turned the SMS fallback off


def test_credentials_file_registers_the_twilio_channels_by_name() -> None:
    credentials = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text())
    assert "channels.twilio_sms.TwilioSmsInput" in credentials
    assert "channels.whatsapp.WhatsAppInput" in credentials
    assert TwilioSmsInput.name() == "twilio_sms" and WhatsAppInput.name() == "whatsapp"


# -- the landlord's sentences ----------------------------------------------------------------------------------


def test_channel_text_fills_the_landlords_name_and_numbers() -> None:
    text = channel_text("opt_out_confirmed")
    assert "Riverside Vale" in text and "0113 496 0418" in text and "{" not in text


def test_landlord_file_without_channel_messages_still_loads(tmp_path: Path) -> None:
    raw = yaml.safe_load((PROJECT_ROOT / "landlord.yml").read_text())
    raw.pop("channel_messages", None)
    path = tmp_path / "landlord.yml"
    path.write_text(yaml.safe_dump(raw))
    assert load_landlord(path).channel_messages.media_received.startswith("Thanks, your photo arrived.")


def test_landlord_file_with_a_misspelt_placeholder_fails_loudly(tmp_path: Path) -> None:
    raw = yaml.safe_load((PROJECT_ROOT / "landlord.yml").read_text())
    raw["channel_messages"] = {"help": "Call {phnoe}."}
    path = tmp_path / "landlord.yml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(LandlordFileError, match="phnoe"):
        load_landlord(path)
