"""Keep Python's full garbage collections from stopping the Rasa server for half a second at a time.

A loaded model leaves the Rasa server with about 830,000 objects that Python's cyclic garbage collector tracks
(TensorFlow's and Keras's Python objects, spaCy's, Rasa's graph). A full (generation 2) collection walks every one
of them, holding the GIL: 446 ms measured after loading TenantLine's model, 340-360 ms each under the bench's SMS
load (three in 20 seconds at 10 conversations), during which no webhook is answered and no turn moves. They were
the slowest acknowledgements' cause once turns had a thread of their own (docs/bench.md).

Those objects live as long as the model does, so scanning them finds nothing. `settle(agent)` runs one full
collection after a model is loaded and then `gc.freeze()`s everything that survived: later collections skip the
frozen objects (a full collection then took 0.005 ms). When a new model is loaded (`PUT /model`, the trainers'
activation), the next `settle` unfreezes first, so the replaced model's objects can be collected, and freezes the
new one's. Garbage that refcounting frees (most of it) is freed as before; a cycle made only of objects frozen
with the model waits for the next model load.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
import weakref
from typing import Any

logger = logging.getLogger(__name__)

_guard = threading.Lock()
_settled: weakref.ReferenceType[Any] | None = None
_enabled = True


def settled(agent: Any) -> bool:
    """Return whether `agent` is the agent the heap was last settled for."""
    return _settled is not None and _settled() is agent


def settle(agent: Any) -> float | None:
    """Collect once and freeze the survivors, unless already done for this `agent`; return the pause in seconds.

    Call it with Rasa's agent after a model is loaded. Returns None when nothing was done: the heap was already
    settled for this agent, the agent has no model yet (Rasa's `Agent` has a processor once a model is loaded; the
    tests' stand-in agents have none), or settling is switched off (`disable`).
    """
    global _settled
    if not _enabled or agent is None or getattr(agent, "processor", None) is None:
        return None
    with _guard:
        if settled(agent):
            return None
        started = time.perf_counter()
        gc.unfreeze()  # the model this one replaces can be collected now
        gc.collect()
        gc.freeze()
        _settled = weakref.ref(agent)
        pause = time.perf_counter() - started
    logger.info("heap settled for the loaded model: %d objects frozen in %.0f ms", gc.get_freeze_count(), pause * 1000)
    return pause


def disable() -> None:
    """Never settle in this process: the bench measures the server without it (`--without heap-freeze`)."""
    global _enabled
    _enabled = False


def reset() -> None:
    """Unfreeze everything and forget the settled agent (tests)."""
    global _settled
    with _guard:
        gc.unfreeze()
        _settled = None
