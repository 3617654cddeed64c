"""Keep Rasa's NLU inference off the Rasa server's event loop, so webhooks are acknowledged while a message parses.

Rasa 3.6 parses a message synchronously inside a coroutine: `MessageProcessor.parse_message` calls
`_parse_message_with_graph`, which runs the NLU graph (spaCy, featurizers, DIET, ResponseSelector, our safety
triage) with `graph_runner.run` on the event loop thread. For the ~20-50 ms that takes, the server answers nothing:
with ten tenants texting at once, Twilio's webhooks queue behind each other's parses, and Twilio gives up on a
webhook that takes 15 s. The same call serves `POST /model/parse`, so the HTTP API stalls the same way.

`install()` replaces `MessageProcessor.parse_message` with a version that runs that one graph call in a dedicated
single-thread executor and awaits it, then hands the result to Rasa's own `parse_message`, which does everything
else exactly as before (retrieval-intent names, debug logging, the unseen-intent warning). One thread means parses
still run one at a time, as they did on the loop, so no NLU component is ever called from two threads at once;
TensorFlow and spaCy release the GIL for much of their work, so the loop keeps answering webhooks meanwhile.

Every caller of the graph was checked in Rasa 3.6's source: `_parse_message_with_graph` is called only by
`parse_message`, which is called by `_handle_message_with_tracker` (every user message), `Agent.parse_message`
(`POST /model/parse`, `bot.evaluate`) and Rasa's test tooling; all of them await it. The dialogue policies run
through the same graph runner (`_predict_next_with_tracker`) but share no component with the NLU graph except the
read-only domain provider, so they may keep running on the loop while a parse runs in the thread.
With an NLU server configured (`http_interpreter`) nothing runs locally and Rasa's method is used unchanged.

The patch is installed by every messaging channel at start-up (`channels.core.registration.install_runtime`),
so `tenantline run`, the production replicas and the bench all get it; `uninstall()` restores Rasa's method.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import rasa
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

SUPPORTED_RASA = "3.6."
"""The Rasa series whose `parse_message` this patch was written against; any other leaves Rasa unchanged."""
THREAD_NAME = "rasa-nlu"

_ORIGINAL_PARSE: Callable[..., Coroutine[Any, Any, dict[str, Any]]] = MessageProcessor.parse_message
_ORIGINAL_GRAPH: Callable[..., dict[str, Any]] = MessageProcessor._parse_message_with_graph
_PARSED: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("tenantline_parsed", default=None)
"""The graph's result for the parse in progress in this task, handed to Rasa's own `parse_message`."""

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _nlu_executor() -> ThreadPoolExecutor:
    """Return the process's NLU thread, started on first use."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
        return _executor


def _graph_or_precomputed(
    self: MessageProcessor, message: Any, tracker: DialogueStateTracker, only_output_properties: bool = True
) -> dict[str, Any]:
    """Return the parse already computed off the loop for this task, or run the graph as Rasa does."""
    parsed = _PARSED.get()
    if parsed is not None:
        return parsed
    return _ORIGINAL_GRAPH(self, message, tracker, only_output_properties)


async def _parse_off_loop(
    self: MessageProcessor,
    message: Any,
    tracker: DialogueStateTracker | None = None,
    only_output_properties: bool = True,
) -> dict[str, Any]:
    """Run the NLU graph in the NLU thread, then let Rasa's `parse_message` finish the job with its result."""
    if self.http_interpreter:
        return await _ORIGINAL_PARSE(self, message, tracker, only_output_properties)
    if tracker is None:
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
    loop = asyncio.get_running_loop()
    # The copied context carries structlog's and our logging context into the thread, as asyncio.to_thread does.
    graph = functools.partial(
        contextvars.copy_context().run, _ORIGINAL_GRAPH, self, message, tracker, only_output_properties
    )
    parsed = await loop.run_in_executor(_nlu_executor(), graph)
    token = _PARSED.set(parsed)
    try:
        return await _ORIGINAL_PARSE(self, message, tracker, only_output_properties)
    finally:
        _PARSED.reset(token)


def installed() -> bool:
    """Return whether Rasa's NLU currently runs off the event loop."""
    return MessageProcessor.parse_message is _parse_off_loop


def install(version: str | None = None) -> bool:
    """Make Rasa run NLU inference in a dedicated thread instead of on the event loop (idempotent).

    Args:
        version: The Rasa version to check (default: the installed one).

    Returns:
        Whether the patch is in place. For a Rasa outside the 3.6 series nothing is changed and a warning says
        so, because its `parse_message` may no longer look like the one this patch wraps.
    """
    version = version or rasa.__version__
    if not version.startswith(SUPPORTED_RASA):
        logger.warning(
            "Rasa %s: NLU stays on the event loop (the off-loop patch is written for Rasa %sx); webhooks will be "
            "acknowledged late while messages parse",
            version,
            SUPPORTED_RASA,
        )
        return False
    if not installed():
        MessageProcessor.parse_message = _parse_off_loop
        MessageProcessor._parse_message_with_graph = _graph_or_precomputed
        logger.info("NLU inference runs in its own thread, off the event loop")
    return True


def uninstall() -> None:
    """Restore Rasa's own `parse_message` (tests; a process that wants Rasa unchanged)."""
    MessageProcessor.parse_message = _ORIGINAL_PARSE
    MessageProcessor._parse_message_with_graph = _ORIGINAL_GRAPH
