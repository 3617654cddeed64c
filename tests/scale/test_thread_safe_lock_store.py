"""The embedded profile's lock store: one conversation at a time when turns and Rasa's HTTP API run on two threads."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import pytest
import yaml
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from bot.scale.lock_store import EMBEDDED_LOCK_STORE, LockStoreConfigError, ThreadSafeInMemoryLockStore

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_endpoints_yml_names_the_thread_safe_store_and_rasa_builds_it() -> None:
    config = read_endpoint_config(str(PROJECT_ROOT / "endpoints.yml"), "lock_store")
    store = LockStore.create(config)
    assert isinstance(store, ThreadSafeInMemoryLockStore)
    sections = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert sections["lock_store"] == EMBEDDED_LOCK_STORE  # what the bench and the tests' stacks write


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"poll_interval": "soon"}, "poll_interval must be a number"),
        ({"poll_interval": 0}, "poll_interval must be at least"),
        ({"url": "redis://127.0.0.1"}, "unknown setting"),
    ],
)
def test_garbage_settings_fail_at_start_up_naming_the_setting(settings: dict, message: str) -> None:
    config = EndpointConfig(type="bot.scale.lock_store.ThreadSafeInMemoryLockStore", **settings)
    with pytest.raises(LockStoreConfigError, match=message):
        ThreadSafeInMemoryLockStore(endpoint_config=config)


async def test_waiters_are_served_in_ticket_order_and_the_lock_is_gone_afterwards() -> None:
    store = ThreadSafeInMemoryLockStore()
    order: list[int] = []

    async def hold(number: int, seconds: float) -> None:
        async with store.lock("sms:+447700900001", wait_time_in_seconds=0.01):
            order.append(number)
            await asyncio.sleep(seconds)

    first = asyncio.get_running_loop().create_task(hold(1, 0.1))
    await asyncio.sleep(0.01)
    await asyncio.gather(first, hold(2, 0.0), hold(3, 0.0))
    assert order == [1, 2, 3]
    assert store.get_lock("sms:+447700900001") is None


async def test_waiting_ticket_that_expires_raises_lock_error() -> None:
    store = ThreadSafeInMemoryLockStore()
    holder = store.issue_ticket("sms:+447700900001", 30)
    with pytest.raises(LockError, match="expired"):
        async with store.lock("sms:+447700900001", lock_lifetime=0.05, wait_time_in_seconds=0.02):
            pass
    store.cleanup("sms:+447700900001", holder)
    assert store.get_lock("sms:+447700900001") is None


def test_four_threads_never_hold_one_conversation_together_or_lose_a_turn() -> None:
    # Tenants' turns on the turn thread and staff changes on the server's loop, many times over. Python is made
    # to switch threads as often as it can, which breaks Rasa's own InMemoryLockStore within a few hundred turns
    # ("deque mutated during iteration", then waiters that never get the lock).
    store = ThreadSafeInMemoryLockStore()
    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    finished: list[str] = []
    errors: list[BaseException] = []

    async def turns(name: str, count: int) -> None:
        for number in range(count):
            try:
                async with store.lock("sms:+447700900001", wait_time_in_seconds=0.001):
                    inside.append(name)
                    if len(inside) > 1:
                        overlaps.append(tuple(inside))
                    await asyncio.sleep(0)
                    inside.remove(name)
            except Exception as error:  # noqa: BLE001 - every failure is a finding here
                errors.append(error)
            finished.append(f"{name}{number}")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [
            threading.Thread(target=asyncio.run, args=(turns(name, 1000),), daemon=True)
            for name in ("tenant-1", "tenant-2", "staff-1", "staff-2")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert overlaps == []
    assert len(finished) == 4000
    assert store.get_lock("sms:+447700900001") is None
