"""The fake Twilio the bench's replies go to: `tests.support.fake_twilio.FakeTwilio`, timing every arrival.

A reply counts when this server accepts the message, as Twilio would. Each accepted message is kept per `To`
number with the `time.perf_counter()` of its arrival, so the tenants simulated in the same process can measure
reply latency against the moment they posted their webhook.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

from aiohttp import web

from tests.support.fake_twilio import FakeTwilio


@dataclass(frozen=True)
class Arrival:
    """A reply the fake Twilio accepted."""

    at: float
    body: str


@dataclass
class CountingTwilio(FakeTwilio):
    """A fake Twilio that files accepted messages by recipient and wakes whoever waits for them."""

    inboxes: dict[str, list[Arrival]] = field(default_factory=dict)
    _signals: dict[str, asyncio.Event] = field(default_factory=dict)

    async def _create_message(self, request: web.Request) -> web.Response:
        answer = await super()._create_message(request)
        if answer.status == 201 and answer.text:
            message = json.loads(answer.text)
            to = str(message.get("to") or "")
            self.inboxes.setdefault(to, []).append(Arrival(time.perf_counter(), str(message.get("body") or "")))
            self._signal(to).set()
        # The bench has no use for the request log; keeping it would grow with every reply of the run.
        self.requests.clear()
        return answer

    def _signal(self, to: str) -> asyncio.Event:
        return self._signals.setdefault(to, asyncio.Event())

    def received(self, to: str) -> list[Arrival]:
        """Return the replies `to` has received so far, oldest first."""
        return self.inboxes.get(to, [])

    def arrivals_between(self, start: float, end: float) -> int:
        """Return how many replies, to anyone, arrived in the `perf_counter` window [start, end)."""
        return sum(1 for inbox in self.inboxes.values() for a in inbox if start <= a.at < end)

    async def wait_beyond(self, to: str, seen: int, timeout: float) -> list[Arrival]:
        """Wait until `to` has more than `seen` replies (or `timeout` seconds pass); return the new ones."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        signal = self._signal(to)
        while len(self.received(to)) <= seen:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            signal.clear()
            try:
                await asyncio.wait_for(signal.wait(), remaining)
            except asyncio.TimeoutError:
                return []
        return self.received(to)[seen:]
