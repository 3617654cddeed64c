"""Turns on a thread of their own: the turn thread and the conversation workers that run on it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from channels.core.ordering import ConversationWorkers
from channels.core.turns import TurnThread, run_on, running_loop, shared


@pytest.fixture
def turns() -> Iterator[TurnThread]:
    thread = TurnThread("test-turns")
    yield thread
    thread.stop()


# -- the thread ------------------------------------------------------------------------------------------------


async def test_turn_thread_runs_a_coroutine_on_its_own_loop_and_returns_its_result(turns: TurnThread) -> None:
    async def where() -> tuple[str, asyncio.AbstractEventLoop | None]:
        await asyncio.sleep(0)
        return threading.current_thread().name, running_loop()

    name, loop = await turns.run(where())
    assert name == "test-turns"
    assert loop is turns.loop
    assert loop is not asyncio.get_running_loop()


async def test_turn_thread_passes_an_error_back_to_the_caller(turns: TurnThread) -> None:
    async def fail() -> None:
        raise ValueError("no tenancy with that reference")

    with pytest.raises(ValueError, match="no tenancy"):
        await turns.run(fail())


async def test_cancelling_the_caller_cancels_the_coroutine_on_the_turn_thread(turns: TurnThread) -> None:
    started, cancelled = threading.Event(), threading.Event()

    async def long_turn() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    waiting = asyncio.get_running_loop().create_task(turns.run(long_turn()))
    assert await asyncio.to_thread(started.wait, 5)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert await asyncio.to_thread(cancelled.wait, 5)


async def test_turn_thread_keeps_the_order_callbacks_were_handed_over_in(turns: TurnThread) -> None:
    seen: list[int] = []
    for number in range(200):
        turns.call_soon(seen.append, number)
    await turns.run(asyncio.sleep(0))
    assert seen == list(range(200))


def test_turn_thread_starts_once_from_many_threads_and_stops(turns: TurnThread) -> None:
    loops: list[asyncio.AbstractEventLoop] = []
    starters = [threading.Thread(target=lambda: loops.append(turns.start())) for _ in range(8)]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join()
    assert len(set(map(id, loops))) == 1
    assert turns.running
    loop = loops[0]
    turns.stop()
    assert not turns.running
    assert loop.is_closed()
    assert turns.start() is not loop  # a stopped thread starts afresh when used again


def test_stopping_the_turn_thread_cancels_what_still_runs_there(turns: TurnThread) -> None:
    cancelled = threading.Event()

    async def long_turn() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    future = turns.submit(long_turn())
    time.sleep(0.05)
    turns.stop()
    assert cancelled.is_set()
    assert future.cancelled()


async def test_run_on_this_threads_own_loop_awaits_in_place() -> None:
    async def here() -> str:
        return threading.current_thread().name

    assert await run_on(asyncio.get_running_loop(), here()) == threading.current_thread().name


def test_every_channel_shares_one_turn_thread() -> None:
    assert shared() is shared()


# -- conversation workers on the thread ------------------------------------------------------------------------


async def test_conversation_workers_on_the_turn_thread_keep_each_conversation_in_order(turns: TurnThread) -> None:
    workers = ConversationWorkers("test", turns=turns)
    done: list[tuple[str, str]] = []

    def job(name: str, delay: float) -> Callable[[], asyncio.Future[None]]:
        async def run() -> None:
            await asyncio.sleep(delay)
            done.append((name, threading.current_thread().name))

        return run  # type: ignore[return-value]

    workers.submit("a", job("a1", 0.2))
    workers.submit("a", job("a2", 0.0))
    workers.submit("b", job("b1", 0.05))
    await workers.drain(timeout=5)
    assert [name for name, _ in done] == ["b1", "a1", "a2"]
    assert {thread for _, thread in done} == {"test-turns"}
    assert workers.busy_conversations == 0


async def test_conversation_workers_accept_jobs_from_any_thread_in_the_order_submitted(turns: TurnThread) -> None:
    workers = ConversationWorkers("test", turns=turns)
    done: list[int] = []

    def job(number: int) -> Callable[[], asyncio.Future[None]]:
        async def run() -> None:
            done.append(number)

        return run  # type: ignore[return-value]

    def submit_all() -> None:
        for number in range(50):
            workers.submit("a", job(number))

    await asyncio.to_thread(submit_all)
    await workers.drain(timeout=5)
    assert done == list(range(50))


async def test_conversation_workers_on_the_turn_thread_time_out_and_cancel(turns: TurnThread) -> None:
    workers = ConversationWorkers("test", turns=turns)
    cancelled = threading.Event()

    async def stuck() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    workers.submit("a", stuck)
    with pytest.raises(TimeoutError, match="1 conversation"):
        await workers.drain(timeout=0.2)
    assert workers.is_busy("a")
    await workers.cancel()
    assert cancelled.is_set()
    assert workers.busy_conversations == 0
