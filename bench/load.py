"""Speed and memory end to end: simulated tenants texting TenantLine, the bare-Rasa baseline, the NLU ceiling.

Every phase runs for a fixed time with a fixed number of concurrent conversations (closed loop: a tenant sends
its next message once the assistant has answered the last one). Only what happens inside the window counts:
messages sent, replies the fake Twilio accepted, latencies of turns that started in it, and the CPU seconds the
measured processes used in it. Peak RSS is the kernel's high-water mark (VmHWM) at the end of the window.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiohttp

from bench import procstat
from bench.conversations import Step, answer_for, conversation, openings
from bench.phone import CountingTwilio
from bench.stack import PUBLIC_URL, Stack
from bench.stats import Summary, summarise
from bench.tenants import TenantPool
from tests.support.fake_twilio import SMS_NUMBER, sms_form, twilio_signature

WEBHOOK_PATH = "/webhooks/twilio_sms/webhook"
REPLY_TIMEOUT_S = 20.0
"""A tenant gives up waiting for an answer after this long; the step counts as failed and the turn's latency as
this long (a lower bound)."""
TURN_GRACE_S = 0.25
"""After a reply, how long a tenant waits for the rest of the assistant's turn before answering."""
MAX_TURNS_PER_STEP = 12
DRAIN_S = 10.0


@dataclass
class Tally:
    """What the simulated clients observed in one phase."""

    start: float
    end: float
    messages: int = 0
    replies: int = 0
    acks: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    steps_done: int = 0
    steps_failed: int = 0
    conversations: int = 0
    errors: int = 0

    def in_window(self, moment: float) -> bool:
        """Return whether `moment` (perf_counter) falls in the measured window."""
        return self.start <= moment < self.end


@dataclass
class PhaseResult:
    """The figures of one phase."""

    system: str
    concurrency: int
    seconds: float
    messages: int
    replies: int
    replies_per_second: float
    messages_per_second: float
    reply_latency: Summary
    ack_latency: Summary | None
    cpu_seconds: dict[str, float]
    cpu_per_message: float
    peak_rss_mb: dict[str, float]
    steps_done: int = 0
    steps_failed: int = 0
    conversations: int = 0
    errors: int = 0
    notes: str = ""


def _finish(
    system: str,
    concurrency: int,
    tally: Tally,
    before: dict[str, procstat.ProcessSample],
    after: dict[str, procstat.ProcessSample],
    notes: str,
) -> PhaseResult:
    cpu = {name: round(after[name].cpu_seconds - before[name].cpu_seconds, 2) for name in after}
    seconds = tally.end - tally.start
    return PhaseResult(
        system=system,
        concurrency=concurrency,
        seconds=round(seconds, 1),
        messages=tally.messages,
        replies=tally.replies,
        replies_per_second=round(tally.replies / seconds, 2) if seconds else 0.0,
        messages_per_second=round(tally.messages / seconds, 2) if seconds else 0.0,
        reply_latency=summarise(tally.latencies),
        ack_latency=summarise(tally.acks) if tally.acks else None,
        cpu_seconds=cpu,
        cpu_per_message=round(sum(cpu.values()) / tally.messages, 4) if tally.messages else 0.0,
        peak_rss_mb={name: sample.peak_rss_mb for name, sample in after.items()},
        steps_done=tally.steps_done,
        steps_failed=tally.steps_failed,
        conversations=tally.conversations,
        errors=tally.errors,
        notes=notes,
    )


async def _run_workers(
    count: int, worker: Callable[[int], Coroutine[Any, Any, None]], end: float, stack: Stack
) -> dict[str, procstat.ProcessSample]:
    """Run `count` workers until the window ends, then give in-flight turns `DRAIN_S` before cancelling.

    Returns:
        The processes' CPU and memory at the end of the window (before the drain, which is not measured).
    """
    tasks: list[asyncio.Task[None]] = [asyncio.create_task(worker(index)) for index in range(count)]
    await asyncio.sleep(max(0.0, end - time.perf_counter()))
    at_end = stack.samples()
    _, pending = await asyncio.wait(tasks, timeout=DRAIN_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return at_end


# -- TenantLine over SMS ---------------------------------------------------------------------------------------


class SmsTenant:
    """A tenant texting from `phone`: signs each message like Twilio and waits for the replies at the fake."""

    def __init__(
        self, phone: str, dob: date, http: aiohttp.ClientSession, stack: Stack, fake: CountingTwilio, tally: Tally
    ) -> None:
        """Create a tenant who answers knowledge checks with `dob`."""
        self.phone, self.dob, self.http, self.stack, self.fake, self.tally = phone, dob, http, stack, fake, tally

    async def send(self, text: str) -> float:
        """Post one signed SMS webhook; return when it was sent (perf_counter).

        Raises:
            RuntimeError: If the webhook does not answer 200.
        """
        form = sms_form(self.phone, text, to=SMS_NUMBER, account_sid=self.fake.account_sid)
        headers = {"X-Twilio-Signature": twilio_signature(PUBLIC_URL + WEBHOOK_PATH, form, self.fake.auth_token)}
        started = time.perf_counter()
        async with self.http.post(self.stack.rasa_url + WEBHOOK_PATH, data=list(form.items()), headers=headers) as r:
            await r.read()
            status = r.status
        acknowledged = time.perf_counter()
        if self.tally.in_window(started):
            self.tally.messages += 1
            self.tally.acks.append(acknowledged - started)
        if status != 200:
            raise RuntimeError(f"webhook answered {status}")
        return started

    async def step(self, step: Step) -> bool:
        """Play one step until its `done` sign arrives; return False if the assistant went quiet before that.

        Replies are read a turn at a time: after a reply, more that follow within `TURN_GRACE_S` belong to the
        same turn. A recognised question is answered; a turn without one (an acknowledgement whose question is
        still on its way) is waited out without sending anything.
        """
        seen = len(self.fake.received(self.phone))
        sent_at: float | None = await self.send(step.opening)
        for _ in range(MAX_TURNS_PER_STEP):
            new = await self.fake.wait_beyond(self.phone, seen, REPLY_TIMEOUT_S)
            if not new:
                if sent_at is not None and self.tally.in_window(sent_at):
                    # Counted at the time-out, not left out: dropping unanswered turns would flatter the latency.
                    self.tally.latencies.append(REPLY_TIMEOUT_S)
                return False
            if sent_at is not None and self.tally.in_window(sent_at):
                self.tally.latencies.append(new[0].at - sent_at)
            while more := await self.fake.wait_beyond(self.phone, seen + len(new), TURN_GRACE_S):
                new = new + more
            seen += len(new)
            bodies = [arrival.body for arrival in new]
            if any(step.done.search(body) for body in bodies):
                return True
            answer = answer_for(step, bodies)
            sent_at = await self.send(answer) if answer is not None else None
        return False

    async def converse(self, end: float, pool: TenantPool) -> None:
        """Hold conversations, one after another, until the window ends, each as the pool's next tenant.

        A new tenant is a new Rasa session, as when a tenant texts about something else another day.
        """
        while time.perf_counter() < end:
            self.phone, self.dob = pool.next()
            for step in conversation(self.dob):
                if time.perf_counter() >= end:
                    return
                try:
                    ok = await self.step(step)
                except (aiohttp.ClientError, RuntimeError, asyncio.TimeoutError):
                    self.tally.errors += 1
                    ok = False
                if ok:
                    self.tally.steps_done += 1
                else:
                    self.tally.steps_failed += 1
            self.tally.conversations += 1


async def warm_up(stack: Stack, fake: CountingTwilio, tenant: tuple[str, date]) -> int:
    """Hold one whole conversation before measuring (first messages compile the model's graphs); return steps done."""
    tally = Tally(start=0.0, end=0.0)
    async with aiohttp.ClientSession() as http:
        phone, dob = tenant
        person = SmsTenant(phone, dob, http, stack, fake, tally)
        done = 0
        for step in conversation(dob):
            done += int(await person.step(step))
    return done


async def tenantline_phase(
    stack: Stack, fake: CountingTwilio, pool: TenantPool, concurrency: int, seconds: float, notes: str = ""
) -> PhaseResult:
    """Measure TenantLine with `concurrency` conversations at once for `seconds`, each by the pool's next tenant.

    Raises:
        ValueError: If the pool has fewer tenants than conversations at once (two would share a phone).
    """
    if pool.size < concurrency:
        raise ValueError(f"{concurrency} conversations at once need {concurrency} tenants; the pool has {pool.size}")
    before = stack.samples()
    start = time.perf_counter()
    tally = Tally(start=start, end=start + seconds)
    connector = aiohttp.TCPConnector(limit=0)
    reused_before = pool.reused
    async with aiohttp.ClientSession(connector=connector) as http:
        people = [SmsTenant("", date.min, http, stack, fake, tally) for _ in range(concurrency)]

        async def worker(index: int) -> None:
            await people[index].converse(tally.end, pool)

        after = await _run_workers(len(people), worker, tally.end, stack)
    tally.replies = fake.arrivals_between(tally.start, tally.end)
    reused = pool.reused - reused_before
    if reused:
        notes = f"{notes}; at {concurrency}, {reused} conversation(s) by a tenant who had already texted in this run"
    result = _finish("TenantLine (SMS, full path)", concurrency, tally, before, after, notes)
    await _settle(fake)
    return result


async def _settle(fake: CountingTwilio, quiet: float = 2.0, limit: float = 30.0) -> None:
    """Wait until replies stop arriving, so one phase's backlog is not measured in the next."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        latest = max((inbox[-1].at for inbox in fake.inboxes.values() if inbox), default=0.0)
        if time.perf_counter() - latest >= quiet:
            return
        await asyncio.sleep(0.5)


# -- bare Rasa over REST, and the NLU ceiling ------------------------------------------------------------------


async def _http_phase(
    system: str,
    stack: Stack,
    concurrency: int,
    seconds: float,
    path: str,
    payload: Callable[[int, str], dict[str, Any]],
    count_replies: Callable[[Any], int],
    notes: str,
) -> PhaseResult:
    before = stack.samples()
    start = time.perf_counter()
    tally = Tally(start=start, end=start + seconds)
    texts = openings()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker(index: int) -> None:
            for text in itertools.cycle(texts):
                if time.perf_counter() >= tally.end:
                    return
                started = time.perf_counter()
                try:
                    async with http.post(stack.rasa_url + path, json=payload(index, text)) as response:
                        body = await response.json(content_type=None)
                        ok = response.status == 200
                except (aiohttp.ClientError, ValueError):
                    body, ok = None, False
                finished = time.perf_counter()
                if not tally.in_window(started):
                    continue
                tally.messages += 1
                if not ok:
                    tally.errors += 1
                    continue
                tally.latencies.append(finished - started)
                if finished < tally.end:
                    tally.replies += count_replies(body)

        after = await _run_workers(concurrency, worker, tally.end, stack)
    return _finish(system, concurrency, tally, before, after, notes)


async def bare_phase(stack: Stack, concurrency: int, seconds: float) -> PhaseResult:
    """Measure bare Rasa's REST channel: each conversation sends the tenants' messages one after another."""
    return await _http_phase(
        "bare Rasa (default pipeline, REST)",
        stack,
        concurrency,
        seconds,
        "/webhooks/rest/webhook",
        lambda index, text: {"sender": f"bench-{index}", "message": text},
        lambda body: len(body) if isinstance(body, list) else 0,
        "reply latency = REST response time (replies come back in the response)",
    )


async def nlu_phase(stack: Stack, concurrency: int, seconds: float) -> PhaseResult:
    """Measure NLU-only parse throughput of the served model (`POST /model/parse`): the ceiling for dialogue."""
    return await _http_phase(
        "NLU parse only (TenantLine model)",
        stack,
        concurrency,
        seconds,
        "/model/parse",
        lambda _index, text: {"text": text},
        lambda body: 1 if isinstance(body, dict) else 0,
        "one parse counts as one reply",
    )
