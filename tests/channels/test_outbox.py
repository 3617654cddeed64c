"""The outbox dispatcher: claims, sends through registered senders, retries, rate limits, nothing lost or doubled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.housing import identities
from bot.housing import outbox as outbox_service
from bot.housing.enums import Channel, OutboxStatus
from bot.housing.models import OutboxMessage
from channels import outbox
from channels.core.turns import TurnThread
from channels.outbox import (
    OutboxDispatcher,
    OutgoingMessage,
    PermanentSendError,
    RateLimit,
    SendResult,
    TransientSendError,
)
from channels.twilio_sms import SmsOutput

TENANT = "+447700900001"
OTHER = "+447700900002"


class RecordingSender:
    """A sender that records what it sends and when, and can fail on cue."""

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[tuple[str, str, float]] = []
        self.delay = delay
        self.failures: list[Exception] = []
        self.count = 0
        self.in_flight: list[str] = []
        self.overlaps: list[tuple[str, ...]] = []
        """Recipients being sent to at once, noted whenever a send starts while others are under way."""

    async def send(self, message: OutgoingMessage) -> SendResult:
        if self.failures:
            raise self.failures.pop(0)
        started = asyncio.get_running_loop().time()
        self.in_flight.append(message.to)
        if len(self.in_flight) > 1:
            self.overlaps.append(tuple(sorted(self.in_flight)))
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight.remove(message.to)
        self.sent.append((message.to, message.body, started))
        self.count += 1
        return SendResult(provider_message_id=f"P{message.id}")

    def bodies(self, to: str | None = None) -> list[str]:
        return [body for recipient, body, _ in self.sent if to is None or recipient == to]


@pytest.fixture
def turns() -> Iterator[TurnThread]:
    """A turn thread of the test's own (channels/core/turns.py)."""
    thread = TurnThread("test-turns")
    yield thread
    thread.stop()


@pytest_asyncio.fixture
async def sender(housing: Callable[[], Session]) -> AsyncIterator[RecordingSender]:
    recording = RecordingSender()
    outbox.register_sender(Channel.SMS, recording)
    yield recording
    outbox.unregister_sender(Channel.SMS)


def queue(factory: Callable[[], Session], body: str, *, to: str = TENANT, key: str | None = None) -> int:
    with factory() as session, session.begin():
        row = outbox_service.create(session=session, channel="sms", to=to, body=body, idempotency_key=key or body)
        return int(row.id)


def rows(factory: Callable[[], Session]) -> list[OutboxMessage]:
    with factory() as session:
        return list(session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


def make_due(factory: Callable[[], Session]) -> None:
    """Move every retry's next attempt into the past, as if the back-off had elapsed."""
    with factory() as session, session.begin():
        session.execute(update(OutboxMessage).values(next_attempt_at=datetime.now(timezone.utc) - timedelta(seconds=1)))


async def test_dispatcher_sends_a_queued_message_and_records_the_provider_id(
    housing: Callable[[], Session], sender: RecordingSender
) -> None:
    queue(housing, "Your repair is booked.")
    dispatcher = OutboxDispatcher(session_factory=housing)
    await dispatcher.idle()
    assert sender.bodies() == ["Your repair is booked."]
    (row,) = rows(housing)
    assert row.status is OutboxStatus.SENT
    assert row.provider_message_id == f"P{row.id}"


async def test_dispatcher_keeps_one_recipients_messages_in_order_and_serves_others_alongside(
    housing: Callable[[], Session], sender: RecordingSender
) -> None:
    sender.delay = 0.2
    for n in range(3):
        queue(housing, f"tenant {n}", to=TENANT)
        queue(housing, f"other {n}", to=OTHER)
    await OutboxDispatcher(session_factory=housing).idle()
    assert sender.bodies(TENANT) == ["tenant 0", "tenant 1", "tenant 2"]
    assert sender.bodies(OTHER) == ["other 0", "other 1", "other 2"]
    # The two tenants' messages went out side by side, never two to the same phone at once.
    assert tuple(sorted((TENANT, OTHER))) in sender.overlaps
    assert all(len(set(recipients)) == len(recipients) for recipients in sender.overlaps)


async def test_dispatcher_retries_a_transient_failure_after_the_back_off(
    housing: Callable[[], Session], sender: RecordingSender
) -> None:
    sender.failures.append(TransientSendError("Twilio 503"))
    queue(housing, "hello")
    dispatcher = OutboxDispatcher(session_factory=housing)
    await dispatcher.idle()
    (row,) = rows(housing)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.QUEUED, 1, "Twilio 503")
    assert row.next_attempt_at > datetime.now(timezone.utc) + timedelta(seconds=20)
    await dispatcher.idle()
    assert sender.bodies() == []  # not due yet
    make_due(housing)
    await dispatcher.idle()
    assert sender.bodies() == ["hello"]
    assert rows(housing)[0].status is OutboxStatus.SENT


async def test_dispatcher_gives_up_on_a_permanent_failure(
    housing: Callable[[], Session], sender: RecordingSender
) -> None:
    sender.failures.append(PermanentSendError("Twilio 400 error 21211"))
    queue(housing, "hello")
    await OutboxDispatcher(session_factory=housing).idle()
    (row,) = rows(housing)
    assert row.status is OutboxStatus.FAILED
    assert row.last_error == "Twilio 400 error 21211"


async def test_dispatcher_treats_an_unexpected_sender_error_as_retryable(
    housing: Callable[[], Session], sender: RecordingSender
) -> None:
    sender.failures.append(KeyError("bug"))
    queue(housing, "hello")
    await OutboxDispatcher(session_factory=housing).idle()
    assert rows(housing)[0].status is OutboxStatus.QUEUED


async def test_dispatcher_fails_a_message_for_good_after_the_last_attempt(
    housing: Callable[[], Session], sender: RecordingSender
) -> None:
    sender.failures.extend(TransientSendError("network error") for _ in range(outbox_service.MAX_ATTEMPTS))
    queue(housing, "hello")
    dispatcher = OutboxDispatcher(session_factory=housing)
    for _ in range(outbox_service.MAX_ATTEMPTS):
        await dispatcher.idle()
        make_due(housing)
    (row,) = rows(housing)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, outbox_service.MAX_ATTEMPTS)


async def test_dispatcher_without_a_sender_for_the_channel_keeps_the_message_for_later(
    housing: Callable[[], Session],
) -> None:
    queue(housing, "hello")
    await OutboxDispatcher(session_factory=housing).idle()
    (row,) = rows(housing)
    assert row.status is OutboxStatus.QUEUED
    assert "no sender registered" in (row.last_error or "")


async def test_dispatcher_spaces_messages_to_one_recipient_by_its_rate_limit(housing: Callable[[], Session]) -> None:
    """DOMAIN.md, messaging channel rules: Telegram allows about 1 message a second per chat (scaled down here)."""
    paced = RecordingSender()
    outbox.register_sender(Channel.SMS, paced, RateLimit(per_recipient_per_second=10.0))
    try:
        for n in range(4):
            queue(housing, f"m{n}")
        queue(housing, "other", to=OTHER)
        await OutboxDispatcher(session_factory=housing).idle()
    finally:
        outbox.unregister_sender(Channel.SMS)
    times = [started for to, _, started in paced.sent if to == TENANT]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert len(times) == 4 and min(gaps) >= 0.09
    other_start = next(started for to, _, started in paced.sent if to == OTHER)
    assert other_start - times[0] < 0.09  # another chat is not held up by this one's limit


async def test_dispatcher_spaces_all_messages_by_the_overall_rate_limit(housing: Callable[[], Session]) -> None:
    paced = RecordingSender()
    outbox.register_sender(Channel.SMS, paced, RateLimit(overall_per_second=20.0))
    try:
        for n in range(5):
            queue(housing, f"m{n}", to=f"+4477009001{n:02d}")
        await OutboxDispatcher(session_factory=housing).idle()
    finally:
        outbox.unregister_sender(Channel.SMS)
    times = sorted(started for _, _, started in paced.sent)
    assert times[-1] - times[0] >= 4 * 0.05 - 0.01


async def test_two_dispatchers_on_one_outbox_send_each_message_once(
    housing: Callable[[], Session], sender: RecordingSender
) -> None:
    sender.delay = 0.05
    for n in range(30):
        queue(housing, f"m{n}", to=f"+4477009002{n % 10:02d}")
    first, second = OutboxDispatcher(session_factory=housing), OutboxDispatcher(session_factory=housing)
    await asyncio.gather(first.idle(), second.idle())
    assert sorted(sender.bodies()) == sorted(f"m{n}" for n in range(30))
    assert all(row.status is OutboxStatus.SENT for row in rows(housing))


async def test_running_dispatcher_sends_as_soon_as_woken(
    housing: Callable[[], Session], sender: RecordingSender
) -> None:
    dispatcher = outbox.start_dispatcher(session_factory=housing)
    dispatcher.poll_seconds = 60.0
    try:
        assert outbox.start_dispatcher() is dispatcher  # one per process
        await asyncio.sleep(0.1)
        queue(housing, "urgent")
        outbox.wake()
        for _ in range(100):
            if sender.bodies():
                break
            await asyncio.sleep(0.02)
        assert sender.bodies() == ["urgent"]
    finally:
        await outbox.stop_dispatcher()
    assert outbox.current_dispatcher() is None


async def test_dispatcher_woken_from_the_turn_thread_sends_at_once(
    housing: Callable[[], Session], sender: RecordingSender, turns: TurnThread
) -> None:
    dispatcher = outbox.start_dispatcher(session_factory=housing)
    dispatcher.poll_seconds = 60.0  # only a wake-up makes it look again within the test
    sent = asyncio.Event()
    send = sender.send

    async def send_and_tell(message: OutgoingMessage) -> SendResult:
        result = await send(message)
        sent.set()
        return result

    sender.send = send_and_tell  # type: ignore[method-assign]
    try:

        async def reply_from_a_turn() -> None:
            await asyncio.sleep(0.2)  # by then the server's loop has nothing to do but wait
            await asyncio.to_thread(queue, housing, "Your repair is booked")
            outbox.wake()

        turns.submit(reply_from_a_turn())
        # Nothing else wakes the server's loop: a wake-up that does not reach it across threads times out here.
        await asyncio.wait_for(sent.wait(), timeout=3.0)
        assert sender.bodies() == ["Your repair is booked"]
    finally:
        await outbox.stop_dispatcher()


# -- the output channel's side ---------------------------------------------------------------------------------


async def test_output_channel_queues_each_reply_of_a_turn_once_when_the_turn_is_replayed(
    housing: Callable[[], Session],
) -> None:
    for _ in range(2):  # the same incoming message processed twice (replay after a crash)
        output = SmsOutput(key_prefix="sms:+447700900001:SM123", session_factory=housing, on_queued=lambda: None)
        await output.send_text_message("sms:+447700900001", "First reply.")
        await output.send_text_message("sms:+447700900001", "Second reply.")
    assert [row.body for row in rows(housing)] == ["First reply.", "Second reply."]


async def test_output_channel_queues_nothing_for_a_recipient_who_opted_out(housing: Callable[[], Session]) -> None:
    with housing() as session, session.begin():
        identities.record_inbound(session=session, channel="sms", address=TENANT)
        identities.update(session=session, channel="sms", address=TENANT, opted_out=True)
    output = SmsOutput(session_factory=housing, on_queued=lambda: None)
    assert await output.queue(f"sms:{TENANT}", output.render("Reminder", [])) == []
    assert rows(housing) == []


@pytest.mark.parametrize("recipient", ["whatsapp:+447700900001", "+447700900001", "telegram:12345"])
async def test_output_channel_refuses_a_conversation_of_another_channel(
    housing: Callable[[], Session], recipient: str
) -> None:
    output = SmsOutput(session_factory=housing, on_queued=lambda: None)
    await output.send_text_message(recipient, "hello")
    assert rows(housing) == []
