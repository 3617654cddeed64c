"""A soak at a steady rate: no process of the stack grows its memory by 5% or more.

TENANTLINE_SOAK_SECONDS (default 60 in `make test`; `make soak` runs 600) of tenants texting at
TENANTLINE_SOAK_RATE messages a second (default 4), spread over fresh conversations of the ten-message chat.
The first fifth of the run warms the processes up (caches, pools, lazily loaded modules) and is not measured:
resident memory is read from /proc at the end of the warm-up and at the end of the run.
"""

from __future__ import annotations

import asyncio
import os
import time

import aiohttp
import pytest

from tests.scale.figures import record
from tests.scale.stack import TEST_TIMEOUT_S, ScaleStack
from tests.scale.traffic import CHAT, Conversation, audit, converse, wait_for_outbox_drained

SOAK_SECONDS = float(os.environ.get("TENANTLINE_SOAK_SECONDS", "60"))
# The first test of the session also waits for the stack to start (up to TENANTLINE_SCALE_START_TIMEOUT).
pytestmark = [
    pytest.mark.model,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(SOAK_SECONDS + TEST_TIMEOUT_S),
]
SOAK_RATE = float(os.environ.get("TENANTLINE_SOAK_RATE", "4"))
MAX_GROWTH = 0.05
GAP_SECONDS = 2.0
WATCHED = ("rasa-1", "rasa-2", "actions-1", "actions-2", "nginx", "console")


async def _soak(stack: ScaleStack, seconds: float, rate: float) -> tuple[list[Conversation], dict[str, int]]:
    """Keep about `rate` messages a second arriving for `seconds`; return the conversations and the warm RSS.

    Each conversation sends the ten-message chat with `GAP_SECONDS` after each reply, so about `rate * GAP`
    conversations run at once, a new one starting every `len(CHAT) / rate` seconds. None starts once too little
    time is left to finish it; warm-up ends when the first conversations finish (and at least a fifth in).
    """
    tasks: list[asyncio.Task[Conversation]] = []
    start_every = len(CHAT) / rate
    lifetime = len(CHAT) * GAP_SECONDS
    warm_after = max(seconds / 5, lifetime)
    loop = asyncio.get_running_loop()
    begin = loop.time()
    warm: dict[str, int] = {}
    next_start = 0.0
    async with aiohttp.ClientSession() as client:
        while (now := loop.time() - begin) < seconds:
            if not warm and now >= warm_after:
                warm = {name: stack.rss_kib(name) for name in WATCHED}
            if now >= next_start and now + lifetime <= seconds:
                tasks.append(asyncio.create_task(converse(stack, client, CHAT, between=GAP_SECONDS)))
                next_start += start_every
            await asyncio.sleep(0.25)
        conversations = list(await asyncio.gather(*tasks))
    return conversations, warm


def test_soak_at_a_steady_rate_grows_no_process_memory_by_five_percent(
    scale_stack: ScaleStack, request: pytest.FixtureRequest
) -> None:
    started = time.monotonic()
    conversations, warm = asyncio.run(_soak(scale_stack, SOAK_SECONDS, SOAK_RATE))
    elapsed = time.monotonic() - started
    drained = wait_for_outbox_drained(scale_stack)
    final = {name: scale_stack.rss_kib(name) for name in WATCHED}

    found = audit(scale_stack, conversations)
    growth = {name: (final[name] - warm[name]) / warm[name] for name in WATCHED}
    print(f"\nsoak: {elapsed:.0f} s, {found.messages / elapsed:.1f} messages/s; {found.summary()}")
    for name in WATCHED:
        print(f"soak: {name} RSS {warm[name] / 1024:.0f} MiB -> {final[name] / 1024:.0f} MiB ({growth[name]:+.1%})")
    record(
        request.node.name,
        {
            **found.figures(),
            "seconds": SOAK_SECONDS,
            "messages_per_s": found.messages / elapsed,
            "outbox_drain_s": drained,
            "max_memory_growth_pct": max(growth.values()) * 100,
            **{f"rss_growth_pct_{name}": growth[name] * 100 for name in WATCHED},
            **{f"rss_end_mib_{name}": final[name] / 1024 for name in WATCHED},
        },
    )
    assert found.lost == [] and found.duplicated == [] and found.reordered == [] and found.unanswered == []
    assert {name: f"{g:+.1%}" for name, g in growth.items() if g >= MAX_GROWTH} == {}
