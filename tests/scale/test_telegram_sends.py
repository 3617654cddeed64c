"""Telegram sends under faults: what TenantLine can deliver exactly once, and the one case where it cannot.

The Bot API has no idempotency key. A send Telegram refused (5xx) or never received is retried and arrives once;
a slow answer is waited for rather than abandoned; but when Telegram took a message and its answer was lost,
the sender cannot know, sends it again, and the tenant gets it twice. These tests pin each case down against
the chaos fake (tests/scale/chaos_telegram.py) with short time-outs; tests/scale/test_faults.py measures the
same through the whole production profile.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from bot.housing import outbox as outbox_service
from bot.housing.enums import Channel
from channels import telegram_sender
from channels.outbox import OutgoingMessage, TransientSendError
from channels.telegram_sender import OUTCOME_UNKNOWN, TelegramSender, make_bot, send_never_left
from tests.scale.chaos_telegram import KINDS, ChaosTelegram

CHAT = "7100000001"
BODY = "Your repair is booked for Tuesday."
SHORT_READ_TIMEOUT = 1.0


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[ChaosTelegram]:
    monkeypatch.setattr(telegram_sender, "READ_TIMEOUT_SECONDS", SHORT_READ_TIMEOUT)
    server = ChaosTelegram().start()
    try:
        yield server
    finally:
        server.stop()


def row(body: str = BODY) -> OutgoingMessage:
    return OutgoingMessage(
        id=1, channel=Channel.TELEGRAM, to=CHAT, body=body, template_name=None, template_variables=None, attempts=1
    )


async def send_until_taken(fake: ChaosTelegram, kind: str, *, slow: float = 0.1, hang: float = 0.1) -> list[str]:
    """Fail the first send with `kind`, then retry as the outbox would; return the errors of the failed tries."""
    fake.chaos(1.0, shares={kind: 1.0}, slow=slow, hang=hang)
    sender = TelegramSender(make_bot(fake.token, fake.base_url))
    errors: list[str] = []
    try:
        for _ in range(3):
            try:
                await sender.send(row())
                return errors
            except TransientSendError as error:
                errors.append(str(error))
        raise AssertionError(f"never sent: {errors}")
    finally:
        await sender.close()


async def test_telegram_send_refused_with_a_5xx_is_retried_and_arrives_once(fake: ChaosTelegram) -> None:
    errors = await send_until_taken(fake, "5xx")

    assert len(errors) == 1 and errors[0].startswith("not taken by Telegram")
    assert fake.taken() == {(CHAT, BODY): 1}
    assert fake.injected["5xx"] == 1


async def test_telegram_send_dropped_before_telegram_took_it_is_retried_and_arrives_once(fake: ChaosTelegram) -> None:
    errors = await send_until_taken(fake, "drop")

    # The sender cannot tell a drop from a lost answer, so it says so; here nothing had been taken.
    assert len(errors) == 1 and errors[0].startswith(OUTCOME_UNKNOWN)
    assert fake.taken() == {(CHAT, BODY): 1}


async def test_telegram_slow_answer_within_the_read_timeout_is_waited_for_and_arrives_once(
    fake: ChaosTelegram,
) -> None:
    errors = await send_until_taken(fake, "slow", slow=SHORT_READ_TIMEOUT / 2)

    assert errors == []
    assert fake.taken() == {(CHAT, BODY): 1}
    assert fake.injected["slow"] == 1


async def test_telegram_answer_lost_after_telegram_took_the_message_is_sent_again_and_arrives_twice(
    fake: ChaosTelegram,
) -> None:
    errors = await send_until_taken(fake, "timeout", hang=SHORT_READ_TIMEOUT + 1.0)

    assert len(errors) == 1 and errors[0].startswith(OUTCOME_UNKNOWN)
    # The Bot API's limit, not a bug to hide: never more copies than lost answers, plus the one that counts.
    assert fake.taken() == {(CHAT, BODY): 2}
    assert fake.taken_after_fault() == {(CHAT, BODY): 1}


async def test_telegram_send_to_a_bot_api_that_is_not_there_is_not_taken() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])  # nothing listens here once the probe is closed
    sender = TelegramSender(make_bot("123456:TEST-token", f"http://127.0.0.1:{port}"))
    try:
        with pytest.raises(TransientSendError, match="^not taken by Telegram"):
            await sender.send(row())
    finally:
        await sender.close()


@pytest.mark.parametrize(
    ("cause", "never_left"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ConnectTimeout("slow connect"), True),
        (httpx.PoolTimeout("pool full"), True),
        (httpx.ReadTimeout("no answer"), False),
        (httpx.RemoteProtocolError("server disconnected"), False),
        (httpx.ReadError("reset"), False),
        (httpx.WriteTimeout("stuck writing"), False),
        (None, True),  # Telegram answered with an error status
    ],
)
def test_send_never_left_only_for_errors_before_telegram_could_act(cause: Exception | None, never_left: bool) -> None:
    error = TimedOut() if isinstance(cause, httpx.TimeoutException) else NetworkError("Bad Gateway (502)")
    error.__cause__ = cause

    assert send_never_left(error) is never_left


def test_slowest_telegram_send_fits_in_the_outbox_lease() -> None:
    # A send outliving its lease would be claimed and sent again by another replica.
    assert outbox_service.LEASE.total_seconds() > telegram_sender.SEND_BUDGET_SECONDS
    assert telegram_sender.READ_TIMEOUT_SECONDS > 5.0  # more patient than python-telegram-bot's default


async def test_chaos_fails_each_message_at_most_once_whatever_the_rate(fake: ChaosTelegram) -> None:
    fake.chaos(1.0, shares={"5xx": 1.0})
    sender = TelegramSender(make_bot(fake.token, fake.base_url))
    try:
        with pytest.raises(TransientSendError):
            await sender.send(row("first"))
        await sender.send(row("first"))
        with pytest.raises(TransientSendError):
            await sender.send(row("second"))
    finally:
        await sender.close()

    assert fake.injected == {**dict.fromkeys(KINDS, 0), "5xx": 2}
    assert fake.taken() == {(CHAT, "first"): 1}


@pytest.mark.parametrize(
    ("rate", "shares", "problem"),
    [
        (1.5, None, "between 0 and 1"),
        (-0.1, None, "between 0 and 1"),
        (0.2, {"gremlins": 1.0}, "unknown fault kinds"),
        (0.2, {"5xx": -1.0}, "0 or more"),
        (0.2, {"5xx": 0.0}, "not all 0"),
    ],
)
def test_chaos_refuses_nonsense_settings_and_keeps_the_old_ones(
    rate: float, shares: dict[str, float] | None, problem: str
) -> None:
    fake = ChaosTelegram().start()
    fake.chaos(0.0)
    try:
        with pytest.raises(ValueError, match=problem):
            fake.chaos(rate, shares=shares)
        assert fake.injected == dict.fromkeys(KINDS, 0)
    finally:
        fake.stop()
