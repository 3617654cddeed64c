"""Process each conversation's messages one at a time and in arrival order, different conversations in parallel.

Webhooks are acknowledged at once and the work is handed to `ConversationWorkers.submit`. Each conversation gets a
queue and a worker task while it has work; the worker ends when its queue is empty, so an idle conversation holds
nothing. A job that raises is logged and does not stop the jobs queued behind it.

Given a `TurnThread` (channels/core/turns.py), the queues and workers live on that thread's event loop: `submit`
may then be called from any thread (the webhooks' loop does) and hands the job over in submission order, and
`drain` and `cancel` run there too. The queues are only ever touched on the loop that owns them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.core.turns import TurnThread

logger = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class ConversationWorkers:
    """Per-conversation FIFO queues drained by short-lived worker tasks."""

    def __init__(self, name: str = "channel", *, turns: TurnThread | None = None) -> None:
        """Create the workers of channel `name`; with `turns`, every job runs on that thread's loop."""
        self._name = name
        self.turns = turns
        self._queues: dict[str, asyncio.Queue[Job]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    def submit(self, key: str, job: Job) -> None:
        """Queue `job` behind the earlier jobs of conversation `key`; returns at once.

        Without a turn thread, call it from the event loop's thread (webhook handlers are); with one, from any
        thread.
        """
        if self.turns is not None and not self.turns.on_thread():
            self.turns.call_soon(self._submit_here, key, job)
            return
        self._submit_here(key, job)

    def _submit_here(self, key: str, job: Job) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = asyncio.Queue()
            self._queues[key] = queue
        queue.put_nowait(job)
        if key not in self._workers:
            self._workers[key] = asyncio.get_running_loop().create_task(
                self._drain(key, queue), name=f"{self._name}-conversation"
            )

    async def _drain(self, key: str, queue: asyncio.Queue[Job]) -> None:
        try:
            while not queue.empty():
                job = queue.get_nowait()
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The conversation id is personal data (a phone number), so it is not logged.
                    logger.exception("%s: processing a message failed", self._name)
        finally:
            # No await between the empty check and these lines, so a submit cannot slip in unseen.
            self._workers.pop(key, None)
            if queue.empty():
                self._queues.pop(key, None)

    def is_busy(self, key: str) -> bool:
        """Return whether conversation `key` has work queued or running.

        Read from another thread, the answer can be a moment old: a job submitted just before is not counted yet.
        """
        return key in self._workers

    @property
    def busy_conversations(self) -> int:
        """Return how many conversations have work queued or running."""
        return len(self._workers)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every queued job has finished (tests, graceful shutdown).

        Raises:
            TimeoutError: If work remains after `timeout` seconds.
        """
        if self.turns is not None:
            await self.turns.run(self._drain_here(timeout))
        else:
            await self._drain_here(timeout)

    async def _drain_here(self, timeout: float | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._workers:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            if remaining == 0.0:
                raise TimeoutError(f"{self._name}: {len(self._workers)} conversation(s) still busy")
            await asyncio.wait(list(self._workers.values()), timeout=remaining)

    async def cancel(self) -> None:
        """Stop every worker at once (server shutdown); unfinished messages stay in the inbox journal."""
        if self.turns is not None:
            await self.turns.run(self._cancel_here())
        else:
            await self._cancel_here()

    async def _cancel_here(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        self._workers.clear()
        self._queues.clear()
