"""Hammer a Rasa lock store from many processes and check that it really serialises each conversation.

Run one worker process per `python -m bot.scale.lock_hammer worker ...`; each runs several asyncio tasks that go
through Rasa's own `LockStore.lock(conversation_id)` for a handful of shared conversation ids, exactly as
`Agent.handle_message` does. Inside the lock a task plays a message being handled: it marks the conversation
busy, reads a per-conversation counter, waits `hold` seconds and writes the counter back plus one (the same
read-then-write a tracker store does), and appends what it saw to a log in Redis. `check` then reads the log:

- overlaps: how often a task entered a conversation another task was still inside;
- lost updates: messages whose counter increment was overwritten by a concurrent holder;
- reorderings: a message handled after a message with a later ticket of the same conversation;
- failures: messages that never got the lock (`LockError`, or still waiting after `patience` seconds).

`--store stock-widened` is Rasa's own `RedisLockStore` with a pause between reading the lock and writing it back
(`rasa/core/lock_store.py` lines 81-83), which makes its read-then-write race show on every run instead of now
and then. All workers start together (each waits until every worker has connected) so the race has a chance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, LockStore, RedisLockStore

from bot.scale.lock_store import AtomicRedisLockStore

STORES = ("atomic", "stock", "stock-widened")


class WidenedStockRedisLockStore(RedisLockStore):
    """Rasa's `RedisLockStore` with a pause between reading the lock and writing it back (see module docstring)."""

    def __init__(self, *, widen: float, **kwargs: Any) -> None:
        """Create the store; `widen` is the pause in seconds, the rest goes to `RedisLockStore`."""
        super().__init__(**kwargs)
        self.widen = widen

    def get_or_create_lock(self, conversation_id: str) -> TicketLock:
        """Read the lock as Rasa does, then pause before Rasa issues the ticket and writes the lock back."""
        lock = super().get_or_create_lock(conversation_id)
        time.sleep(self.widen)
        return lock


def build_store(kind: str, redis_url: str, key_prefix: str, *, widen: float = 0.05) -> LockStore:
    """Return the lock store `kind` ("atomic", "stock" or "stock-widened") on `redis_url` under `key_prefix`.

    Raises:
        ValueError: For an unknown kind.
    """
    if kind == "atomic":
        client = redis.Redis.from_url(redis_url)
        return AtomicRedisLockStore(client=client, key_prefix=key_prefix, poll_interval=0.005)
    if kind not in STORES:
        raise ValueError(f"unknown lock store {kind!r}; choose one of {', '.join(STORES)}")
    parts = urlsplit(redis_url)
    db = int((parts.path or "/0").strip("/") or 0)
    # Rasa's store only takes an alphanumeric prefix.
    options: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 6379,
        "db": db,
        "key_prefix": "".join(ch for ch in key_prefix if ch.isalnum()),
    }
    if kind == "stock":
        return RedisLockStore(**options)
    return WidenedStockRedisLockStore(widen=widen, **options)


def _keys(prefix: str, conversation_id: str) -> dict[str, str]:
    base = f"{prefix}hammer:{conversation_id}"
    return {"inside": f"{base}:inside", "counter": f"{base}:counter", "log": f"{base}:log"}


@dataclass(frozen=True)
class HammerPlan:
    """What every worker does: `messages` messages per task, spread over `conversations` conversation ids."""

    redis_url: str
    key_prefix: str
    store: str
    tasks: int
    messages: int
    conversations: int
    hold: float
    workers: int
    widen: float = 0.05
    patience: float = 60.0

    def conversation_ids(self) -> list[str]:
        """Return the shared conversation ids."""
        return [f"hammer-{index}" for index in range(self.conversations)]


async def _handle(
    plan: HammerPlan, store: LockStore, red: redis.Redis, conversation_id: str, worker: str, sequence: int
) -> None:
    keys = _keys(plan.key_prefix, conversation_id)
    async with store.lock(conversation_id) as lock:
        ticket = lock.now_serving
        entered = time.time()
        others_inside = int(red.incr(keys["inside"])) - 1
        seen = int(red.get(keys["counter"]) or 0)
        await asyncio.sleep(plan.hold)
        red.set(keys["counter"], seen + 1)
        red.decr(keys["inside"])
        record = {
            "ticket": ticket,
            "worker": worker,
            "sequence": sequence,
            "entered": entered,
            "left": time.time(),
            "others_inside": others_inside,
        }
        red.rpush(keys["log"], json.dumps(record))


async def _message(
    plan: HammerPlan, store: LockStore, red: redis.Redis, conversation_id: str, worker: str, sequence: int
) -> None:
    try:
        await asyncio.wait_for(_handle(plan, store, red, conversation_id, worker, sequence), plan.patience)
    except (LockError, asyncio.TimeoutError) as error:
        red.rpush(f"{plan.key_prefix}hammer:failures", f"{worker}:{sequence}:{type(error).__name__}")


async def _task(plan: HammerPlan, store: LockStore, red: redis.Redis, worker: str) -> None:
    ids = plan.conversation_ids()
    for sequence in range(plan.messages):
        await _message(plan, store, red, ids[sequence % len(ids)], worker, sequence)


async def _all_ready(plan: HammerPlan, red: redis.Redis, timeout: float = 120.0) -> None:
    """Wait until all `plan.workers` workers have connected, so they start together.

    Raises:
        TimeoutError: If some worker has not connected within `timeout` seconds.
    """
    key = f"{plan.key_prefix}hammer:ready"
    red.incr(key)
    deadline = time.monotonic() + timeout
    while int(red.get(key) or 0) < plan.workers:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {int(red.get(key) or 0)} of {plan.workers} hammer workers connected")
        await asyncio.sleep(0.01)


async def run_worker(plan: HammerPlan, name: str) -> None:
    """Run one worker process's tasks once every worker is ready."""
    store = build_store(plan.store, plan.redis_url, plan.key_prefix, widen=plan.widen)
    red = redis.Redis.from_url(plan.redis_url)
    await _all_ready(plan, red)
    await asyncio.gather(*(_task(plan, store, red, f"{name}.{index}") for index in range(plan.tasks)))


@dataclass(frozen=True)
class HammerResult:
    """What the log shows: counts of messages handled and of each kind of violation."""

    handled: int
    failures: int
    overlaps: int
    lost_updates: int
    reorderings: int
    seconds: float = field(default=0.0, compare=False)
    """From the first message entering its lock to the last one leaving it."""


def check(redis_url: str, key_prefix: str, conversation_ids: list[str]) -> HammerResult:
    """Read the hammer's log from Redis and count messages and violations."""
    red = redis.Redis.from_url(redis_url)
    handled = overlaps = lost = reorderings = 0
    first, last = float("inf"), 0.0
    for conversation_id in conversation_ids:
        keys = _keys(key_prefix, conversation_id)
        records = [json.loads(raw) for raw in red.lrange(keys["log"], 0, -1)]
        handled += len(records)
        first = min([first, *(record["entered"] for record in records)])
        last = max([last, *(record["left"] for record in records)])
        overlaps += sum(1 for record in records if record["others_inside"] > 0)
        lost += len(records) - int(red.get(keys["counter"]) or 0)
        # Entries are appended in the order messages finished; with one holder at a time that is the order they
        # were handled in, which must be the order of their tickets.
        tickets = [record["ticket"] for record in records]
        reorderings += sum(1 for earlier, later in zip(tickets, tickets[1:], strict=False) if later <= earlier)
    failures = int(red.llen(f"{key_prefix}hammer:failures"))
    return HammerResult(handled, failures, overlaps, lost, reorderings, max(0.0, last - first) if handled else 0.0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.scale.lock_hammer", description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--key-prefix", required=True)
    parser.add_argument("--store", choices=STORES, default="atomic")
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--messages", type=int, default=20, help="messages per task")
    parser.add_argument("--conversations", type=int, default=3)
    parser.add_argument("--hold", type=float, default=0.002, help="seconds a message holds the lock")
    parser.add_argument("--widen", type=float, default=0.05, help="stock-widened: pause inside the race window")
    parser.add_argument("--patience", type=float, default=60.0, help="seconds a message may wait for the lock")
    parser.add_argument("--workers", type=int, default=1, help="how many worker processes start together")
    parser.add_argument("--name", default=str(os.getpid()))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one worker process (the test or an operator starts several) and return its exit status."""
    args = _parser().parse_args(argv)
    plan = HammerPlan(
        redis_url=args.redis_url,
        key_prefix=args.key_prefix,
        store=args.store,
        tasks=args.tasks,
        messages=args.messages,
        conversations=args.conversations,
        hold=args.hold,
        workers=args.workers,
        widen=args.widen,
        patience=args.patience,
    )
    asyncio.run(run_worker(plan, args.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
