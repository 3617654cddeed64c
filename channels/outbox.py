"""The outbox dispatcher: one background task per Rasa server process that sends what the output channels queued.

Output channels only write rows to the durable outbox (`bot.housing.outbox`) and call `wake()`. The dispatcher
claims due rows (a lease, so two processes never send the same row), hands each to the sender its channel
registered with `register_sender`, and records the outcome:

- accepted by the provider: `mark_sent` with the provider's id (Twilio status callbacks later mark it delivered);
- `TransientSendError` (network error, 5xx, 429, Telegram RetryAfter): `mark_failed`, retried with the outbox's
  back-off (30 s, 2 min, 10 min, 30 min) up to its attempt limit;
- `PermanentSendError` (the provider refused the message for good): `mark_failed(permanent=True)`.

Messages to one recipient are sent one after another in outbox order; different recipients in parallel. Each
sender declares its rate limits (`RateLimit`): overall and per recipient, e.g. Telegram's 30 a second overall and
1 a second per chat. A channel calls `start_dispatcher()` when the server starts (idempotent: the first call
starts the one dispatcher of the process) and `stop_dispatcher()` when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.housing import outbox as outbox_service
from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.housing.errors import HousingError
from bot.housing.models import OutboxMessage
from channels.core import db
from channels.core.output import address_hash
from channels.core.turns import running_loop

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0
"""How often the dispatcher looks for due messages (retries, other processes' rows) when nobody wakes it."""
BATCH = 20


class SendError(Exception):
    """Raised by a sender when the provider did not accept a message."""


class TransientSendError(SendError):
    """Raised when a send may succeed later (network error, 5xx, rate limited); the message is retried."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """Raised when the provider refused a message for good (bad number, blocked, opted out at the provider)."""


@dataclass(frozen=True)
class OutgoingMessage:
    """A claimed outbox row, detached from the database session."""

    id: int
    channel: Channel
    to: str
    body: str
    template_name: str | None
    template_variables: dict[str, Any] | None
    attempts: int
    idempotency_key: str = ""
    """The row's idempotency key, the same on every attempt (providers that honour one get it)."""

    @classmethod
    def from_row(cls, row: OutboxMessage) -> OutgoingMessage:
        """Copy the fields a sender needs from an outbox row."""
        return cls(
            id=int(row.id),
            channel=Channel(row.channel),
            to=str(row.to_address),
            body=str(row.body),
            template_name=row.template_name,
            template_variables=dict(row.template_variables) if row.template_variables else None,
            attempts=int(row.attempts),
            idempotency_key=str(row.idempotency_key),
        )


@dataclass(frozen=True)
class SendResult:
    """What the provider said when it accepted a message."""

    provider_message_id: str | None = None


class Sender(Protocol):
    """A channel's way of sending one outbox message."""

    async def send(self, message: OutgoingMessage) -> SendResult:
        """Send `message`; raise TransientSendError or PermanentSendError when the provider does not accept it."""
        ...


@dataclass(frozen=True)
class RateLimit:
    """Most messages a second a sender may send, overall and to one recipient (None: no limit)."""

    overall_per_second: float | None = None
    per_recipient_per_second: float | None = None


class _Pacer:
    """Spaces calls at least 1/rate seconds apart (a token bucket of one: simple and never bursts)."""

    def __init__(self, per_second: float | None) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            delay = self._next - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = max(loop.time(), self._next) + self._interval


@dataclass
class _Registration:
    sender: Sender
    limit: RateLimit
    overall: _Pacer
    per_recipient: dict[str, _Pacer]


_senders: dict[Channel, _Registration] = {}


def register_sender(channel: Channel | str, sender: Sender, limit: RateLimit | None = None) -> None:
    """Make `sender` the one that sends `channel`'s messages in this process (replacing any earlier one)."""
    rate = limit or RateLimit()
    _senders[Channel(channel)] = _Registration(sender, rate, _Pacer(rate.overall_per_second), {})


def unregister_sender(channel: Channel | str) -> None:
    """Forget `channel`'s sender (tests; a channel shut down)."""
    _senders.pop(Channel(channel), None)


def registered_channels() -> set[Channel]:
    """Return the channels that have a sender in this process."""
    return set(_senders)


class OutboxDispatcher:
    """Claims due outbox rows and sends them with the registered senders."""

    def __init__(
        self,
        *,
        session_factory: Callable[[], Session] | None = None,
        poll_seconds: float = POLL_SECONDS,
        batch: int = BATCH,
    ) -> None:
        """Create a dispatcher (not yet running; see `start`)."""
        self._session_factory = session_factory
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._lanes: dict[tuple[Channel, str], asyncio.Task[None]] = {}
        self._lane_queues: dict[tuple[Channel, str], list[OutgoingMessage]] = {}
        self._in_flight: set[int] = set()
        self._claiming = 0

    def _factory(self) -> Callable[[], Session]:
        return self._session_factory or db.session_factory()

    # -- lifecycle ---------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Return whether the dispatcher's loop is running."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the background loop on the running event loop (idempotent)."""
        if not self.running:
            self._loop = asyncio.get_running_loop()
            self._task = self._loop.create_task(self._dispatch_forever(), name="outbox-dispatcher")

    async def stop(self) -> None:
        """Stop the loop and any sends in progress; their rows are claimed again when the lease runs out."""
        tasks = [task for task in (self._task, *self._lanes.values()) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None
        self._lanes.clear()
        self._lane_queues.clear()
        self._in_flight.clear()

    def wake(self) -> None:
        """Look for due messages now instead of at the next poll (from any thread: turns run on their own)."""
        loop = self._loop
        if loop is None or loop is running_loop():
            self._wake.set()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until no send is in progress and nothing is due (tests).

        Raises:
            TimeoutError: If sends are still going on after `timeout` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.run_once()
            # A claim by the background loop may still be on its way back from the database thread.
            if not self._lanes and not self._claiming:
                return
            if loop.time() > deadline:
                raise TimeoutError("the outbox dispatcher is still sending")
            if self._lanes:
                await asyncio.wait(list(self._lanes.values()), timeout=max(0.0, deadline - loop.time()))
            else:
                await asyncio.sleep(0.01)

    # -- the loop ----------------------------------------------------------------------------------------------

    async def _dispatch_forever(self) -> None:
        while True:
            try:
                claimed = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox: claiming due messages failed; trying again shortly")
                claimed = 0
            if claimed >= self.batch:
                continue  # more may be due: claim again at once
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            self._wake.clear()

    def _claim(self) -> list[OutgoingMessage]:
        with session_scope(self._factory()) as session:
            rows = outbox_service.claim_due(session=session, limit=self.batch)
            return [OutgoingMessage.from_row(row) for row in rows]

    async def run_once(self) -> int:
        """Claim due messages and start sending them; return how many were claimed."""
        self._wake.clear()
        self._claiming += 1
        try:
            claimed = await asyncio.to_thread(self._claim)
        finally:
            self._claiming -= 1
        for message in claimed:
            if message.id in self._in_flight:
                continue  # our own send outlived its lease; it is still going, do not send twice
            self._in_flight.add(message.id)
            lane = (message.channel, message.to)
            self._lane_queues.setdefault(lane, []).append(message)
            if lane not in self._lanes:
                self._lanes[lane] = asyncio.get_running_loop().create_task(self._run_lane(lane), name="outbox-lane")
        return len(claimed)

    async def _run_lane(self, lane: tuple[Channel, str]) -> None:
        try:
            queue = self._lane_queues[lane]
            while queue:
                message = queue.pop(0)
                try:
                    await self._send(message)
                finally:
                    self._in_flight.discard(message.id)
        finally:
            self._lanes.pop(lane, None)
            if not self._lane_queues.get(lane):
                self._lane_queues.pop(lane, None)

    async def _send(self, message: OutgoingMessage) -> None:
        registration = _senders.get(message.channel)
        if registration is None:
            await self._record_failure(message, f"no sender registered for {message.channel.value}", permanent=False)
            return
        await registration.overall.wait()
        pacer = registration.per_recipient.get(message.to)
        if pacer is None and registration.limit.per_recipient_per_second:
            pacer = registration.per_recipient.setdefault(
                message.to, _Pacer(registration.limit.per_recipient_per_second)
            )
        if pacer is not None:
            await pacer.wait()
        try:
            result = await registration.sender.send(message)
        except PermanentSendError as error:
            logger.warning("outbox: message %d to %s refused: %s", message.id, address_hash(message.to), error)
            await self._record_failure(message, str(error), permanent=True)
            return
        except TransientSendError as error:
            logger.info("outbox: message %d to %s will be retried: %s", message.id, address_hash(message.to), error)
            await self._record_failure(message, str(error), permanent=False)
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a sender bug must not kill the lane; retry like a network error
            logger.exception("outbox: sender for %s raised unexpectedly", message.channel.value)
            await self._record_failure(message, f"{type(error).__name__}: {error}", permanent=False)
            return
        await asyncio.to_thread(self._record_sent, message, result)

    def _record_sent(self, message: OutgoingMessage, result: SendResult) -> None:
        try:
            with session_scope(self._factory()) as session:
                outbox_service.mark_sent(
                    session=session, message_id=message.id, provider_message_id=result.provider_message_id
                )
        except HousingError:
            logger.exception("outbox: could not record message %d as sent", message.id)

    async def _record_failure(self, message: OutgoingMessage, error: str, *, permanent: bool) -> None:
        def record() -> None:
            with session_scope(self._factory()) as session:
                outbox_service.mark_failed(session=session, message_id=message.id, error=error, permanent=permanent)

        try:
            await asyncio.to_thread(record)
        except HousingError:
            logger.exception("outbox: could not record the failure of message %d", message.id)


_dispatcher: OutboxDispatcher | None = None


def current_dispatcher() -> OutboxDispatcher | None:
    """Return this process's running dispatcher, if any."""
    return _dispatcher if _dispatcher is not None and _dispatcher.running else None


def wake() -> None:
    """Wake this process's dispatcher, if one is running (output channels call this after queueing)."""
    if _dispatcher is not None:
        _dispatcher.wake()


def start_dispatcher(session_factory: Callable[[], Session] | None = None) -> OutboxDispatcher:
    """Start this process's dispatcher unless it is running; return it. Call from the event loop."""
    global _dispatcher
    if _dispatcher is None or not _dispatcher.running:
        _dispatcher = OutboxDispatcher(session_factory=session_factory)
        _dispatcher.start()
        logger.info("outbox dispatcher started for %s", ", ".join(sorted(c.value for c in _senders)) or "no channels")
    return _dispatcher


async def stop_dispatcher() -> None:
    """Stop this process's dispatcher, if it is running."""
    global _dispatcher
    if _dispatcher is not None:
        await _dispatcher.stop()
        _dispatcher = None
