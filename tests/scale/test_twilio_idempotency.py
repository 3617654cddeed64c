"""Twilio sends are idempotent: a retry after a lost answer never texts the tenant twice.

The outbox retries a send that timed out, but Twilio may have created the message before the answer was lost.
Every attempt of one outbox row carries the same `I-Twilio-Idempotency-Token`, and Twilio (like the fake) answers
a repeated token with the message it already created.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.housing.enums import Channel
from channels import twilio
from channels.outbox import OutgoingMessage, TransientSendError
from channels.twilio import TwilioConfig, TwilioSender
from tests.support.fake_twilio import SMS_NUMBER, FakeTwilio

TENANT = "+447700900123"


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    server = FakeTwilio()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def sender(fake: FakeTwilio) -> TwilioSender:
    config = TwilioConfig(
        account_sid=fake.account_sid,
        auth_token=fake.auth_token,
        from_address=SMS_NUMBER,
        public_url="https://tenantline.example",
        api_base_url=fake.base_url,
    )
    return TwilioSender(config, status_path="/webhooks/twilio_sms/status")


def row(key: str = f"sms:{TENANT}:SM0001:0") -> OutgoingMessage:
    return OutgoingMessage(
        id=7,
        channel=Channel.SMS,
        to=TENANT,
        body="Your repair is booked",
        template_name=None,
        template_variables=None,
        attempts=1,
        idempotency_key=key,
    )


async def test_send_carries_a_token_derived_from_the_outbox_key_without_the_phone_number(fake: FakeTwilio) -> None:
    twilio_sender = sender(fake)
    try:
        await twilio_sender.send(row())
    finally:
        await twilio_sender.close()

    token = fake.requests[-1].headers["I-Twilio-Idempotency-Token"]
    assert token == hashlib.sha256(f"sms:{TENANT}:SM0001:0".encode()).hexdigest()
    assert TENANT not in token


async def test_two_attempts_of_one_row_create_one_message(fake: FakeTwilio) -> None:
    twilio_sender = sender(fake)
    try:
        first = await twilio_sender.send(row())
        second = await twilio_sender.send(row())
    finally:
        await twilio_sender.close()

    assert first.provider_message_id == second.provider_message_id
    assert fake.by_recipient[TENANT] == ["Your repair is booked"]
    assert len(fake.replayed()) == 1


async def test_retry_after_a_time_out_whose_message_twilio_created_sends_nothing_twice(
    fake: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(twilio, "SEND_TIMEOUT_SECONDS", 0.5)
    fake.chaos(1.0, timeout_share=1.0, hang=2.0)
    twilio_sender = sender(fake)
    try:
        with pytest.raises(TransientSendError, match="network error"):
            await twilio_sender.send(row())
        retried = await twilio_sender.send(row())
    finally:
        await twilio_sender.close()

    assert fake.chaos_failures == {"5xx": 0, "timeout": 1}
    assert fake.by_recipient[TENANT] == ["Your repair is booked"]
    assert retried.provider_message_id is not None


async def test_rows_with_different_keys_are_different_messages(fake: FakeTwilio) -> None:
    twilio_sender = sender(fake)
    try:
        await twilio_sender.send(row(f"sms:{TENANT}:SM0001:0"))
        await twilio_sender.send(row(f"sms:{TENANT}:SM0001:1"))
    finally:
        await twilio_sender.close()

    assert len(fake.by_recipient[TENANT]) == 2
    assert fake.replayed() == []
