"""Telegram's flood limits, kept on our side so the Bot API rarely has to say "retry after".

Telegram allows a bot about 30 messages a second overall and 1 a second in any one chat (DOMAIN.md, "Messaging
channel rules"). `RateLimiter.wait(chat_id)` returns when a message to that chat may go: it reserves the chat's next
free second and one of the bot's 30 slots in that second, so messages to different chats never queue behind a busy
chat. A `RetryAfter` from Telegram is honoured with `hold`, which keeps the chat (or, for a bot-wide flood, every
chat) quiet for as long as Telegram asked.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable

PER_CHAT_INTERVAL = 1.0
"""Seconds between two messages to one chat."""
OVERALL_PER_SECOND = 30
"""Messages a second across all chats."""


class RateLimiter:
    """Spaces out sends to respect a per-chat interval and an overall rate, for concurrent senders."""

    def __init__(
        self,
        *,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        overall_per_second: int = OVERALL_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._interval = per_chat_interval
        self._slot = 1.0 / overall_per_second
        self._clock = clock
        self._sleep = sleep
        self._chat_next: dict[str, float] = {}
        self._taken: set[int] = set()
        self._paused_until = 0.0
        # Reservations are quick and never await, but a sender may also run on another thread's loop.
        self._lock = threading.Lock()

    def reserve(self, chat_id: int | str) -> float:
        """Reserve the earliest moment a message to `chat_id` may go, and return how many seconds away it is."""
        with self._lock:
            return self._reserve(str(chat_id))

    def _reserve(self, chat: str) -> float:
        now = self._clock()
        earliest = max(now, self._chat_next.get(chat, 0.0), self._paused_until)
        # The overall limit is one message per 1/30 s slot; take the first free slot at or after `earliest`.
        slot = math.ceil(earliest / self._slot - 1e-9)
        while slot in self._taken:
            slot += 1
        self._taken.add(slot)
        at = max(earliest, slot * self._slot)
        self._chat_next[chat] = at + self._interval
        self._forget_before(now)
        return at - now

    async def wait(self, chat_id: int | str) -> None:
        """Wait until a message to `chat_id` may be sent."""
        delay = self.reserve(chat_id)
        if delay > 0:
            await self._sleep(delay)

    def hold(self, seconds: float, chat_id: int | str | None = None) -> None:
        """Keep `chat_id` quiet for `seconds` (Telegram's retry_after), or every chat when `chat_id` is None."""
        until = self._clock() + max(0.0, seconds)
        with self._lock:
            if chat_id is None:
                self._paused_until = max(self._paused_until, until)
            else:
                chat = str(chat_id)
                self._chat_next[chat] = max(self._chat_next.get(chat, 0.0), until)

    def _forget_before(self, now: float) -> None:
        """Drop slots and chats in the past so a long-running server does not accumulate them."""
        if len(self._taken) > 256:
            oldest = math.floor(now / self._slot) - 1
            self._taken = {slot for slot in self._taken if slot >= oldest}
        if len(self._chat_next) > 10_000:
            self._chat_next = {chat: at for chat, at in self._chat_next.items() if at > now}
