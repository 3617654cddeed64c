"""Faults injected into the running production profile: every one bounded in time and undone by the test itself.

- an action server killed mid-conversation (one of two: nginx sends the calls to the other; both: the tenant is
  told honestly, the message is kept and answered once they are back);
- the private PostgreSQL server restarted during traffic;
- the fake Twilio failing 20% of sends with a 503 or a time-out after accepting the message;
- a Rasa replica SIGKILLed mid-traffic: its conversations continue on the other one with their history.

Each test prints its figures (messages, losses, duplicates, reorderings, recovery times) for the closing note.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.scale.stack import TEST_TIMEOUT_S, ScaleStack, new_phone, unanswered, user_events
from tests.scale.traffic import (
    CHAT,
    Audit,
    Conversation,
    audit,
    converse,
    rows,
    run_conversations,
    wait_for_outbox_drained,
)

# The first test of the session also waits for the stack to start (up to TENANTLINE_SCALE_START_TIMEOUT).
pytestmark = [pytest.mark.model, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(TEST_TIMEOUT_S)]

CAT_QUESTION = "am i allowed to have a cat in my house"


def _assert_clean(found: Audit) -> None:
    assert found.lost == [], found.summary()
    assert found.duplicated == [], found.summary()
    assert found.reordered == [], found.summary()
    assert found.unanswered == [], found.summary()


def test_one_action_server_killed_mid_conversation_goes_unnoticed(scale_stack: ScaleStack) -> None:
    async def scenario() -> list[Conversation]:
        async with aiohttp.ClientSession() as client:
            phones = [new_phone() for _ in range(6)]
            first = await asyncio.gather(*(converse(scale_stack, client, CHAT[:3], phone=p) for p in phones))
            scale_stack.kill("actions-1")
            rest = await asyncio.gather(*(converse(scale_stack, client, CHAT[3:], phone=p) for p in phones))
            for before, after in zip(first, rest, strict=True):
                before.deliveries.extend(after.deliveries)
                before.reply_seconds.extend(after.reply_seconds)
            return list(first)

    try:
        conversations = asyncio.run(scenario())
    finally:
        restart = scale_stack.restart("actions-1")
    found = audit(scale_stack, conversations)

    print(f"\none action server killed: {found.summary()}; actions-1 back in {restart:.1f} s")
    _assert_clean(found)
    replies = "\n".join(scale_stack.replies(conversations[0].phone)).lower()
    assert "trouble" not in replies


def test_all_action_servers_killed_tenant_is_told_and_answered_once_they_are_back(scale_stack: ScaleStack) -> None:
    phone = new_phone()

    async def scenario() -> tuple[list[str], float]:
        async with aiohttp.ClientSession() as client:
            await converse(scale_stack, client, ["hiya"], phone=phone)
            before = len(scale_stack.replies(phone))
            scale_stack.kill("actions-1")
            scale_stack.kill("actions-2")
            await scale_stack.text(client, phone, CAT_QUESTION)
            during = await scale_stack.wait_for_replies(phone, before + 1, timeout=120)
            down_replies = during[before:]
            for name in ("actions-1", "actions-2"):
                scale_stack.restart(name)
            back = time.monotonic()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 180
            while "cat" not in "\n".join(scale_stack.replies(phone)[before:]).lower():
                assert loop.time() < deadline, f"never answered after the action servers came back: {during}"
                await asyncio.sleep(0.5)
            return down_replies, time.monotonic() - back

    try:
        down_replies, recovered = asyncio.run(scenario())
    finally:
        for name in ("actions-1", "actions-2"):
            if not scale_stack.service(name).running():
                scale_stack.restart(name)
    tracker = scale_stack.tracker(phone)
    texts = [str(event.get("text")) for event in user_events(tracker)]

    print(f"\nall action servers killed: told {down_replies!r}; answered {recovered:.1f} s after they were back")
    assert "trouble" in "\n".join(down_replies).lower()
    assert texts.count(CAT_QUESTION) == 1, texts
    assert unanswered(tracker) == []


def test_postgres_restart_during_traffic_fails_cleanly_and_loses_nothing(scale_stack: ScaleStack) -> None:
    restart_at, down_seconds = 8.0, 3.0
    figures: dict[str, float] = {}

    async def restart_later() -> None:
        await asyncio.sleep(restart_at)
        figures["start"] = await asyncio.to_thread(scale_stack.postgres.restart, down_seconds)
        figures["back_at"] = time.monotonic()

    async def scenario() -> list[Conversation]:
        restarting = asyncio.create_task(restart_later())
        conversations = await run_conversations(scale_stack, 30, CHAT[:6], concurrency=30, reply_timeout=180)
        await restarting
        return conversations

    redelivered_before = scale_stack.redelivered
    replayed_before = len(scale_stack.twilio.replayed())
    conversations = asyncio.run(scenario())
    drained = wait_for_outbox_drained(scale_stack)
    replayed = len(scale_stack.twilio.replayed()) - replayed_before
    found = audit(scale_stack, conversations)
    half_written = rows(
        scale_stack,
        "SELECT count(*) FROM outbox WHERE body = '' OR to_address = '' "
        "UNION ALL SELECT count(*) FROM conversations WHERE channel_identity_id IS NULL",
    )

    print(
        f"\npostgres restart ({down_seconds:.0f} s down, {figures['start']:.1f} s to start): {found.summary()}; "
        f"webhook redeliveries {scale_stack.redelivered - redelivered_before}; outbox drained {drained:.1f} s later; "
        f"{replayed} re-sends answered from the idempotency token (sent, but not recorded while PostgreSQL was down)"
    )
    assert [row[0] for row in half_written] == [0, 0]
    _assert_clean(found)


def test_twilio_failing_a_fifth_of_sends_still_delivers_every_reply_exactly_once(scale_stack: ScaleStack) -> None:
    twilio = scale_stack.twilio
    twilio.chaos(0.2, timeout_share=0.5, hang=20.0)
    accepted_before = sum(len(bodies) for bodies in twilio.by_recipient.values())
    replayed_before = len(twilio.replayed())
    started = time.monotonic()
    try:
        conversations = asyncio.run(run_conversations(scale_stack, 20, CHAT[:4], concurrency=20, reply_timeout=240))
        drained = wait_for_outbox_drained(scale_stack, timeout=300)
    finally:
        twilio.chaos(0.0)
    found = audit(scale_stack, conversations)
    replayed = len(twilio.replayed()) - replayed_before

    print(
        f"\ntwilio chaos: {twilio.chaos_failures} injected; {found.summary()}; {replayed} retries answered from "
        f"the idempotency token; outbox drained {drained:.1f} s after the last reply; "
        f"{time.monotonic() - started:.0f} s in all"
    )
    assert sum(twilio.chaos_failures.values()) > 0
    assert sum(len(bodies) for bodies in twilio.by_recipient.values()) > accepted_before
    assert found.replies_accepted == found.replies_queued
    _assert_clean(found)


def test_rasa_replica_killed_mid_traffic_its_conversations_continue_on_the_other(scale_stack: ScaleStack) -> None:
    figures: dict[str, float] = {}

    async def kill_later() -> None:
        await asyncio.sleep(6.0)
        scale_stack.kill("rasa-1")
        figures["killed_at"] = time.monotonic()

    async def scenario() -> list[Conversation]:
        killing = asyncio.create_task(kill_later())
        conversations = await run_conversations(scale_stack, 20, CHAT, concurrency=20, reply_timeout=180)
        await killing
        return conversations

    redelivered_before = scale_stack.redelivered
    try:
        conversations = asyncio.run(scenario())
        drained = wait_for_outbox_drained(scale_stack)
        found = audit(scale_stack, conversations)
        slowest = max(found.reply_seconds)
    finally:
        back = scale_stack.restart("rasa-1")

    print(
        f"\nrasa replica SIGKILLed: {found.summary()}; webhook redeliveries "
        f"{scale_stack.redelivered - redelivered_before}; slowest reply {slowest:.1f} s; outbox drained "
        f"{drained:.1f} s later; rasa-1 back in {back:.1f} s"
    )
    _assert_clean(found)
