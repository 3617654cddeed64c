"""Load through nginx into the replicas: many tenants texting at once, nothing lost, duplicated or reordered.

The size is a parameter: TENANTLINE_LOAD_CONVERSATIONS (default 500) conversations of ten messages each, at most
TENANTLINE_LOAD_CONCURRENCY (default 40) at a time, every message a signed SMS webhook through nginx.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from tests.scale.figures import record
from tests.scale.stack import TEST_TIMEOUT_S, ScaleStack
from tests.scale.traffic import CHAT, audit, run_conversations, wait_for_outbox_drained

# The first test of the session also waits for the stack to start (up to TENANTLINE_SCALE_START_TIMEOUT).
pytestmark = [pytest.mark.model, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(TEST_TIMEOUT_S)]

CONVERSATIONS = int(os.environ.get("TENANTLINE_LOAD_CONVERSATIONS", "500"))
CONCURRENCY = int(os.environ.get("TENANTLINE_LOAD_CONCURRENCY", "40"))


def test_conversations_through_nginx_are_all_answered_complete_and_in_order(
    scale_stack: ScaleStack, request: pytest.FixtureRequest
) -> None:
    started = time.monotonic()
    conversations = asyncio.run(run_conversations(scale_stack, CONVERSATIONS, CHAT, concurrency=CONCURRENCY))
    elapsed = time.monotonic() - started
    drained = wait_for_outbox_drained(scale_stack)

    found = audit(scale_stack, conversations)

    print(f"\nload: {found.summary()}; {found.messages / elapsed:.1f} messages/s over {elapsed:.0f} s")
    print(f"load: outbox drained {drained:.1f} s after the last reply")
    record(
        request.node.name,
        {
            **found.figures(),
            "concurrency": CONCURRENCY,
            "messages_per_s": found.messages / elapsed,
            "elapsed_s": elapsed,
            "outbox_drain_s": drained,
        },
    )
    assert found.messages == CONVERSATIONS * len(CHAT)
    assert found.lost == [], found.lost[:10]
    assert found.duplicated == [], found.duplicated[:10]
    assert found.reordered == [], found.reordered[:10]
    assert found.unanswered == [], found.unanswered[:10]
    assert found.error_responses == 0
    assert found.outbox_failed == 0
