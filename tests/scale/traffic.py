"""Tenants messaging the scale stack, and the audit that says what was lost, duplicated or reordered.

A conversation is one tenant (a phone by SMS, or a Telegram user) sending a script of messages, each after the
previous one was answered (a tenant waits for the reply). `run_conversations` runs many at once; `audit` then
reads every tracker (through nginx), the housing database's inbound and outbox records and what the fake
provider accepted, and counts:

- lost: a message acknowledged by the webhook that is not in its conversation's tracker, or has no reply queued;
- duplicated: a message twice in a tracker, or a reply the provider accepted more often than the outbox queued it
  (kept apart in `duplicate_replies` instead when the audit is told the provider cannot guarantee once);
- reordered: a conversation whose tracker holds the tenant's messages in another order than they were sent;
- unanswered: a tenant message followed by no bot message before the next one.

`Audit.figures()` gives the counts as numbers, for tests/scale/figures.py.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import sqlalchemy as sa

from tests.scale.stack import Delivery, ScaleStack, Tenant, unanswered, user_events

CHAT = (
    "hiya",
    "am i allowed to have a cat in my house",
    "whats your phone number and opening times",
    "am i talking to a robot",
    "thanks",
    "can i keep a dog",
    "when is the office open",
    "are you a real person",
    "ok thank you",
    "bye",
)
"""Ten messages any tenant may send, answered without identity checks, so any phone can hold the conversation."""


@dataclass
class Conversation:
    """One tenant's messages and when each was answered."""

    phone: str
    """The address: a phone number (SMS) or a Telegram user id."""
    channel: str = "sms"
    deliveries: list[Delivery] = field(default_factory=list)
    reply_seconds: list[float] = field(default_factory=list)
    unanswered_in_time: list[str] = field(default_factory=list)

    @property
    def tenant(self) -> Tenant:
        """Return who holds the conversation."""
        return Tenant(self.channel, self.phone)


async def converse(
    stack: ScaleStack,
    client: aiohttp.ClientSession,
    script: tuple[str, ...] | list[str],
    *,
    phone: str | None = None,
    channel: str = "sms",
    reply_timeout: float = 120.0,
    between: float = 0.0,
) -> Conversation:
    """Send `script` from one tenant on `channel`, each message once the previous one got at least one reply."""
    tenant = Tenant(channel, phone) if phone else stack.new_tenant(channel)
    conversation = Conversation(tenant.address, channel)
    for text in script:
        before = len(stack.replies_to(tenant))
        started = time.monotonic()
        conversation.deliveries.append(await stack.send(client, tenant, text))
        try:
            await stack.wait_for_replies_to(tenant, before + 1, timeout=reply_timeout)
            conversation.reply_seconds.append(time.monotonic() - started)
        except TimeoutError:
            conversation.unanswered_in_time.append(text)
        if between:
            await asyncio.sleep(between)
    return conversation


async def run_conversations(
    stack: ScaleStack,
    count: int,
    script: tuple[str, ...] | list[str] = CHAT,
    *,
    concurrency: int = 40,
    reply_timeout: float = 120.0,
    channel: str = "sms",
) -> list[Conversation]:
    """Run `count` conversations of `script` on `channel`, at most `concurrency` at a time."""
    gate = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def one() -> Conversation:
            async with gate:
                return await converse(stack, client, script, reply_timeout=reply_timeout, channel=channel)

        return list(await asyncio.gather(*(one() for _ in range(count))))


def wait_for_outbox_drained(stack: ScaleStack, timeout: float = 180.0) -> float:
    """Wait until no outbox row is queued or sending; return how long that took.

    Raises:
        TimeoutError: With the counts by status.
    """
    started = time.monotonic()
    while True:
        with stack.housing() as session:
            counts = dict(session.execute(sa.text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
        if not counts.get("queued") and not counts.get("sending"):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the outbox did not drain in {timeout:.0f} s: {counts}")
        time.sleep(1.0)


@dataclass
class Audit:
    """What the audit found across a set of conversations."""

    conversations: int = 0
    messages: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    reordered: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    error_responses: int = 0
    redeliveries: int = 0
    replies_queued: int = 0
    replies_accepted: int = 0
    reply_seconds: list[float] = field(default_factory=list)
    outbox_failed: int = 0
    duplicate_replies: list[str] = field(default_factory=list)
    """Replies accepted more often than queued, when the audit was told not to count them as `duplicated`."""

    def latency(self) -> dict[str, float]:
        """Return the reply time's median, 95th percentile and maximum in seconds (empty without replies)."""
        if not self.reply_seconds:
            return {}
        ordered = sorted(self.reply_seconds)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return {"reply_p50_s": statistics.median(ordered), "reply_p95_s": p95, "reply_max_s": ordered[-1]}

    def figures(self) -> dict[str, float]:
        """Return the counts (and reply times) as numbers, for the figures file."""
        return {
            "conversations": self.conversations,
            "messages": self.messages,
            "lost": len(self.lost),
            "duplicated": len(self.duplicated),
            "duplicate_replies": len(self.duplicate_replies),
            "reordered": len(self.reordered),
            "unanswered": len(self.unanswered),
            "error_responses": self.error_responses,
            "redeliveries": self.redeliveries,
            "replies_queued": self.replies_queued,
            "replies_accepted": self.replies_accepted,
            "outbox_failed": self.outbox_failed,
            **self.latency(),
        }

    def summary(self) -> str:
        """Return the figures on one line, for the test output and the closing note."""
        latency = ""
        if self.reply_seconds:
            times = self.latency()
            latency = (
                f", reply p50 {times['reply_p50_s']:.2f} s p95 {times['reply_p95_s']:.2f} s "
                f"max {times['reply_max_s']:.2f} s"
            )
        doubled = f" (+{len(self.duplicate_replies)} replies twice)" if self.duplicate_replies else ""
        return (
            f"{self.conversations} conversations, {self.messages} messages: lost {len(self.lost)}, "
            f"duplicated {len(self.duplicated)}{doubled}, reordered {len(self.reordered)}, "
            f"unanswered {len(self.unanswered)}, "
            f"error responses {self.error_responses}, redeliveries {self.redeliveries}, "
            f"replies queued {self.replies_queued} / accepted by the provider {self.replies_accepted}, "
            f"outbox failed {self.outbox_failed}{latency}"
        )


def _outbox_rows(stack: ScaleStack) -> list[tuple[str, str, str, str]]:
    with stack.housing() as session:
        rows = session.execute(sa.text("SELECT idempotency_key, status, channel, to_address FROM outbox")).all()
    return [(str(key), str(status), str(channel), str(to)) for key, status, channel, to in rows]


def _inbound_ids(stack: ScaleStack) -> Counter[tuple[str, str]]:
    with stack.housing() as session:
        rows = session.execute(sa.text("SELECT channel, external_id FROM inbound_messages")).all()
    return Counter((str(channel), str(external_id)) for channel, external_id in rows)


def audit(stack: ScaleStack, conversations: list[Conversation], *, replies_exactly_once: bool = True) -> Audit:
    """Check every conversation's tracker, inbound records and replies; return the findings.

    Args:
        stack: The running stack.
        conversations: What the tenants sent.
        replies_exactly_once: Count a reply the provider accepted more often than queued as `duplicated`
            (True), or only in `duplicate_replies` (a provider without idempotency keys, under faults).
    """
    found = Audit(conversations=len(conversations))
    outbox = _outbox_rows(stack)
    inbound = _inbound_ids(stack)
    rows_by_turn: Counter[str] = Counter()
    rows_by_phone: Counter[tuple[str, str]] = Counter()
    for key, status, channel, to in outbox:
        turn = key.rsplit(":", 1)[0]
        rows_by_turn[turn] += 1
        if status in ("sent", "delivered"):
            rows_by_phone[(channel, to)] += 1
        elif status == "failed":
            found.outbox_failed += 1
    for conversation in conversations:
        phone, tenant = conversation.phone, conversation.tenant
        sids = [delivery.sid for delivery in conversation.deliveries]
        found.messages += len(sids)
        found.reply_seconds.extend(conversation.reply_seconds)
        for delivery in conversation.deliveries:
            found.error_responses += sum(1 for status in delivery.statuses if not 200 <= status < 300)
            found.redeliveries += delivery.attempts - 1
        tracker = stack.tracker_of(tenant)
        seen = [str(event.get("message_id")) for event in user_events(tracker)]
        counts = Counter(seen)
        for sid in sids:
            if counts[sid] == 0:
                found.lost.append(f"{phone} {sid} (not in the tracker)")
            elif counts[sid] > 1:
                found.duplicated.append(f"{phone} {sid} ({counts[sid]} times in the tracker)")
            if inbound[(conversation.channel, sid)] != 1:
                found.duplicated.append(f"{phone} {sid} ({inbound[(conversation.channel, sid)]} inbound records)")
            if rows_by_turn[f"{tenant.sender_id}:{sid}"] == 0:
                found.lost.append(f"{phone} {sid} (no reply queued)")
        in_tracker = [sid for sid in seen if sid in set(sids)]
        if in_tracker != [sid for sid in sids if sid in set(in_tracker)]:
            found.reordered.append(phone)
        found.unanswered.extend(f"{phone}: {text}" for text in unanswered(tracker))
        accepted, queued = len(stack.replies_to(tenant)), rows_by_phone[(conversation.channel, phone)]
        found.replies_accepted += accepted
        found.replies_queued += queued
        if accepted > queued:
            doubled = found.duplicated if replies_exactly_once else found.duplicate_replies
            doubled.append(f"{tenant.sender_id}: the provider accepted {accepted} replies for {queued} rows")
    return found


def rows(stack: ScaleStack, query: str, **params: Any) -> list[Any]:
    """Run a read-only query on the housing database and return its rows."""
    with stack.housing() as session:
        return list(session.execute(sa.text(query), params).all())
