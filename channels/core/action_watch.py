"""Notice when the action server could not answer during a tenant's turn, which Rasa itself hides.

Rasa 3.6 catches every error of a custom action call (`MessageProcessor._run_action` logs it and continues with
no events), so when an action server dies while Rasa waits on its reply, the turn ends as if the action had
simply said nothing: the tenant gets no answer and the message counts as handled. The pipeline
(channels/core/pipeline.py) needs to know, to tell the tenant honestly and process the message again later.

`watch_action_endpoint(agent)` swaps the agent's action endpoint for a `WatchedActionEndpoint` (same URL, token
and headers), which notes in the current turn (`watch_turn()`, a context variable, so concurrent turns of other
conversations are not mixed up) every call the action server could not answer:

- no connection, a connection dropped before the answer, or a client-side time-out;
- HTTP 502, 503 or 504: a proxy in front of the action servers (nginx) could not get an answer either.

Answers from the action server itself are not noted: 400 (an action rejected itself, which Rasa handles), 404,
and 500 (an action's own bug, which would fail the same way on every retry). Once a turn has noted a failure,
the channels' output channels queue nothing more for that turn (`turn_failed()`): what Rasa would say next was
decided without the missing action's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

logger = logging.getLogger(__name__)

UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
"""Statuses a proxy answers when no action server could answer (the action server's own 500 is a bug)."""


@dataclass
class TurnWatch:
    """What went wrong with action calls during one tenant turn."""

    failures: list[str] = field(default_factory=list)
    """One line per action call the action server could not answer, e.g. "action_answer_faq: HTTP 502"."""

    @property
    def failed(self) -> bool:
        """Return whether any action call of the turn went unanswered."""
        return bool(self.failures)


_current: ContextVar[TurnWatch | None] = ContextVar("tenantline_turn_watch", default=None)


@contextlib.contextmanager
def watch_turn() -> Iterator[TurnWatch]:
    """Watch the action calls made while the block runs (in this task and the tasks it starts)."""
    watch = TurnWatch()
    token = _current.set(watch)
    try:
        yield watch
    finally:
        _current.reset(token)


def turn_failed() -> bool:
    """Return whether the turn being processed here has had an action call go unanswered."""
    watch = _current.get()
    return watch is not None and watch.failed


def _action_name(kwargs: dict[str, Any]) -> str:
    body = kwargs.get("json")
    name = body.get("next_action") if isinstance(body, dict) else None
    return str(name) if name else "an action"


def _note(kwargs: dict[str, Any], reason: str) -> None:
    watch = _current.get()
    if watch is None:
        return
    line = f"{_action_name(kwargs)}: {reason}"
    watch.failures.append(line)
    logger.warning("the action server did not answer during a tenant's turn (%s)", line)


class WatchedActionEndpoint(EndpointConfig):
    """Rasa's action endpoint, noting in the current turn each call the action server could not answer."""

    @classmethod
    def wrapping(cls, endpoint: EndpointConfig) -> WatchedActionEndpoint:
        """Return a watched copy of `endpoint` (same URL, parameters, headers, credentials and options)."""
        return cls(
            url=endpoint.url,
            params=dict(endpoint.params),
            headers=dict(endpoint.headers),
            basic_auth=dict(endpoint.basic_auth),
            token=endpoint.token,
            token_name=endpoint.token_name,
            cafile=endpoint.cafile,
            type=endpoint.type,
            **dict(endpoint.kwargs),
        )

    async def request(
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Call the action server as Rasa does; note an unanswered call, then raise as Rasa expects."""
        try:
            return await super().request(
                method=method, subpath=subpath, content_type=content_type, compress=compress, **kwargs
            )
        except ClientResponseError as error:
            if error.status in UNAVAILABLE_STATUSES:
                _note(kwargs, f"HTTP {error.status}")
            raise
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            _note(kwargs, type(error).__name__)
            raise


def watch_action_endpoint(agent: Any) -> bool:
    """Make `agent` call its action server through a `WatchedActionEndpoint`; return whether it has one now.

    Idempotent, and cheap enough to call before every turn: a model loaded later brings a new processor, whose
    endpoint is watched the next time. An agent without an action endpoint (or a stand-in without a
    processor) is left alone.
    """
    processor = getattr(agent, "processor", None)
    endpoint = getattr(processor, "action_endpoint", None)
    if processor is None or not isinstance(endpoint, EndpointConfig):
        return False
    if not isinstance(endpoint, WatchedActionEndpoint):
        watched = WatchedActionEndpoint.wrapping(endpoint)
        processor.action_endpoint = watched
        if getattr(agent, "action_endpoint", None) is endpoint:
            agent.action_endpoint = watched
    return True
