"""The Rasa HTTP API client, against the fake Rasa and against nothing at all."""

from __future__ import annotations

import socket

import pytest

from bot.console.config import ConsoleConfig, ConsoleSettings
from bot.console.rasa_api import STAFF_KEY, RasaClient, RasaUnavailable
from tests.console.conftest import DEMO_SENDER
from tests.console.support import RASA_TOKEN


async def test_pause_and_resume_append_rasas_events_to_the_conversation(fake_rasa) -> None:
    client = RasaClient(fake_rasa.url, RASA_TOKEN)
    try:
        await client.pause(DEMO_SENDER)
        paused = (await client.tracker(DEMO_SENDER))["paused"]
        await client.resume(DEMO_SENDER)
        resumed = (await client.tracker(DEMO_SENDER))["paused"]
    finally:
        await client.close()

    assert (paused, resumed) == (True, False)
    assert fake_rasa.event_names(DEMO_SENDER) == ["pause", "resume"]
    assert all(isinstance(event["timestamp"], float) for event in fake_rasa.appended(DEMO_SENDER))


async def test_tracker_is_read_with_every_event(fake_rasa) -> None:
    fake_rasa.add_user_message(DEMO_SENDER, "hello")
    client = RasaClient(fake_rasa.url, RASA_TOKEN)
    try:
        state = await client.tracker(DEMO_SENDER)
    finally:
        await client.close()

    request = [item for item in fake_rasa.received if item.method == "GET"][0]
    assert request.query["include_events"] == ["ALL"]
    assert [event["text"] for event in state["events"]] == ["hello"]


async def test_staff_message_is_appended_as_a_marked_bot_utterance_without_side_effects(fake_rasa) -> None:
    client = RasaClient(fake_rasa.url, RASA_TOKEN)
    try:
        await client.record_staff_message(
            DEMO_SENDER, "Hello", username="agent", name="Amira Patel", channel="sms", outbox_id=7
        )
    finally:
        await client.close()

    (event,) = fake_rasa.appended(DEMO_SENDER)
    assert event["event"] == "bot" and event["text"] == "Hello"
    assert event["metadata"][STAFF_KEY] == {
        "username": "agent",
        "name": "Amira Patel",
        "channel": "sms",
        "outbox_id": 7,
    }
    request = [item for item in fake_rasa.received if item.method == "POST"][0]
    assert request.query["execute_side_effects"] == ["false"]


async def test_a_rasa_that_cannot_be_reached_is_reported_without_the_token() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = RasaClient(f"http://127.0.0.1:{port}", "very-secret-token", timeout=2)
    try:
        with pytest.raises(RasaUnavailable) as raised:
            await client.pause(DEMO_SENDER)
    finally:
        await client.close()

    assert "could not be reached" in str(raised.value)
    assert "very-secret-token" not in str(raised.value)
    assert "very-secret-token" not in repr(client)


async def test_a_rasa_error_status_is_reported(fake_rasa) -> None:
    fake_rasa.fail_next(500)
    client = RasaClient(fake_rasa.url, RASA_TOKEN)
    try:
        with pytest.raises(RasaUnavailable, match="answered 500"):
            await client.resume(DEMO_SENDER)
    finally:
        await client.close()


def test_conversation_page_still_works_when_the_transcript_cannot_be_read(client_as, make_handoff, fake_rasa) -> None:
    reference = make_handoff()
    fake_rasa.token = "rotated-token"

    page = client_as("supervisor").get(f"/conversations/{reference}")

    assert page.status_code == 200
    assert "The conversation history cannot be shown" in page.text
    assert "Tenancy TN104233" in page.text


def test_console_config_reads_the_rasa_token_from_the_environment_and_never_shows_it(monkeypatch) -> None:
    monkeypatch.setenv("TENANTLINE_RASA_TOKEN", "env-secret-token")
    monkeypatch.setenv("TENANTLINE_CONSOLE_PROXIES", "1")
    monkeypatch.setenv("TENANTLINE_CONSOLE_WHATSAPP_TEMPLATE", "HXabc")

    settings = ConsoleSettings()
    config = ConsoleConfig.from_settings(settings)

    assert config.rasa_token == "env-secret-token"
    assert config.proxies_count == 1 and config.whatsapp_template == "HXabc"
    assert "env-secret-token" not in repr(settings) and "env-secret-token" not in repr(config)
