"""Conversation turns on an event loop of their own, so a webhook is acknowledged while turns are busy.

Rasa's server runs on one event loop. A tenant's turn does long stretches of synchronous work on whichever loop
runs it (loading the tracker and its events, the policies, storing the tracker), so while the webhooks' loop also
ran the turns, an acknowledgement waited for every turn step that was ready before it: at 50 busy conversations,
over a second (docs/bench.md). Twilio gives up on a webhook after 15 seconds and sends it again.

`TurnThread` is one daemon thread running an asyncio loop. The channels' conversation workers
(`channels.core.ordering.ConversationWorkers`) run every turn there; the server's loop keeps the webhooks, the
outbox dispatcher and the journal sweep. The two loops share Python's GIL, which a busy thread hands over when
another thread has waited `sys.getswitchinterval()` for it: `share_the_gil_often()` (called by every channel at
start-up) shortens that from Python's 5 ms to 0.5 ms, because an acknowledgement waits for the GIL at every step
(into the database thread, each SQLite call, back to the loop). Each loop has its own default thread pool, so the
acknowledgement's journal insert does not queue behind the turns' database work; the turns' pool has
`TURN_DATABASE_THREADS` threads, so fewer threads contend for the GIL and SQLite's write lock at once.

What a turn shares with the server's loop must be safe across threads: the outbox dispatcher's wake-up
(`channels.outbox`), the in-memory lock store (`bot.scale.lock_store.ThreadSafeInMemoryLockStore`), and clients
bound to the server's loop (a photo download goes back to the loop the webhook came in on).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

STOP_TIMEOUT_SECONDS = 5.0
"""How long `stop` waits for the thread to finish what its loop is running."""
TURN_DATABASE_THREADS = 2
"""Threads of the turn loop's default pool (asyncio.to_thread): the turns' database work."""
SWITCH_INTERVAL_SECONDS = 0.0005
"""How long a thread waiting for the GIL waits before the running thread is asked to hand it over.

Measured with the bench's SMS load (`--levels 10,50`, one run each): webhook acknowledgement p99 95 / 224 ms at
10 / 50 conversations with 0.5 ms, 128 / 172 with 0.2 ms, 106 / 278 with 1 ms, against 238 / 1136 with Python's
5 ms; replies a second and CPU per message did not change beyond the runs' noise (docs/bench.md).
"""


def share_the_gil_often() -> None:
    """Make a busy thread hand the GIL over after `SWITCH_INTERVAL_SECONDS` (process-wide; for the servers)."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


def running_loop() -> asyncio.AbstractEventLoop | None:
    """Return the event loop running in this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def run_on(loop: asyncio.AbstractEventLoop, coroutine: Coroutine[Any, Any, T]) -> T:
    """Await `coroutine` on `loop`, from any loop (at once when it is this thread's loop).

    Cancelling the caller cancels the coroutine on `loop`.
    """
    if loop is running_loop():
        return await coroutine
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))


class TurnThread:
    """A daemon thread running an event loop for conversation turns; started on first use."""

    def __init__(self, name: str = "tenantline-turns") -> None:
        """Create the thread's handle (nothing runs until first use)."""
        self.name = name
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"TurnThread({self.name!r}, running={self.running})"

    @property
    def running(self) -> bool:
        """Return whether the thread and its loop are running."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """Return the thread's event loop, starting the thread if it is not running."""
        return self.start()

    def start(self) -> asyncio.AbstractEventLoop:
        """Start the thread unless it is running (idempotent, thread-safe); return its loop."""
        with self._guard:
            if self._loop is not None and self.running:
                return self._loop
            loop = asyncio.new_event_loop()
            loop.set_default_executor(
                concurrent.futures.ThreadPoolExecutor(TURN_DATABASE_THREADS, thread_name_prefix=f"{self.name}-db")
            )
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                try:
                    loop.run_forever()
                finally:
                    self._close(loop)

            thread = threading.Thread(target=serve, name=self.name, daemon=True)
            thread.start()
            ready.wait()
            self._loop, self._thread = loop, thread
            return loop

    @staticmethod
    def _close(loop: asyncio.AbstractEventLoop) -> None:
        """Cancel what is left on a stopped loop, let it unwind, shut its thread pool and close it."""
        left = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in left:
            task.cancel()
        if left:
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()

    def on_thread(self) -> bool:
        """Return whether the caller runs on this thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run `callback(*args)` on the thread's loop, after what earlier calls scheduled (from any thread)."""
        self.start().call_soon_threadsafe(callback, *args)

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start `coroutine` on the thread's loop (from any thread); return a future of its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.start())

    async def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await `coroutine` on the thread's loop, from any loop; cancelling the caller cancels it there."""
        return await run_on(self.start(), coroutine)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Stop the loop, cancelling what still runs on it, and wait up to `timeout` seconds for the thread."""
        with self._guard:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("%s: still busy %.0f s after being asked to stop", self.name, timeout)


_shared: TurnThread | None = None
_shared_guard = threading.Lock()


def shared() -> TurnThread:
    """Return the process's turn thread, which every channel's conversation workers use."""
    global _shared
    with _shared_guard:
        if _shared is None:
            _shared = TurnThread()
        return _shared
