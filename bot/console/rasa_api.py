"""The few calls the console makes to the Rasa server's HTTP API (started with `--enable-api`).

- `pause` / `resume` append Rasa's ConversationPaused / ConversationResumed events, so the assistant stays silent
  while a member of staff holds a conversation and answers again afterwards;
- `tracker` reads a conversation's events for the transcript;
- `record_staff_message` appends a staff reply as a bot utterance (with `execute_side_effects` off, so Rasa sends
  nothing: the reply goes out through the outbox) so the transcript, and the assistant after a hand-back, see it.

Why the HTTP API rather than reading the tracker store directly: the console needs the API anyway to pause and
resume, the API returns the events in Rasa's documented JSON whatever store is configured (SQL, Redis, memory),
and appends go through Rasa's per-conversation lock, so they never race a message being processed.

Rasa checks `?token=` against `--auth-token`; the token is never logged or shown in errors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5.0
MODEL_LOAD_TIMEOUT_SECONDS = 300.0
"""Loading a model (TensorFlow graphs, spaCy) takes tens of seconds on a busy machine."""

STAFF_KEY = "tenantline_staff"
"""Metadata key marking a bot utterance as a staff reply: {"username", "name", "channel", "outbox_id"}."""

# Characters allowed unescaped in a URL path segment (RFC 3986 pchar). Rasa's route does not unquote the
# conversation id, so "sms:+447700900001" must reach it exactly as written.
_PATH_SAFE = "!$&'()*+,;=:@-._~"


class RasaUnavailable(Exception):
    """Raised when the Rasa server cannot be reached, refuses the token, or answers with an error."""


class RasaClient:
    """An HTTP client for one Rasa server; the connection pool is made on first use, inside the event loop."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = TIMEOUT_SECONDS) -> None:
        """Create a client.

        Args:
            base_url: The server's root, e.g. http://127.0.0.1:5005.
            token: The API token, or None when Rasa runs without one.
            timeout: Seconds to wait for any one call.
        """
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return f"RasaClient({self.base_url!r})"

    def _url(self, sender_id: str, suffix: str) -> str:
        return f"{self.base_url}/conversations/{quote(sender_id, safe=_PATH_SAFE)}/{suffix}"

    def _params(self, **extra: str) -> dict[str, str]:
        params = dict(extra)
        if self._token:
            params["token"] = self._token
        return params

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def _call(
        self, method: str, url: str, *, params: dict[str, str], json: Any = None, timeout: float | None = None
    ) -> Any:
        wait = aiohttp.ClientTimeout(total=timeout) if timeout is not None else None
        try:
            async with self._client().request(method, url, params=params, json=json, timeout=wait) as response:
                if response.status in (401, 403):
                    raise RasaUnavailable("the Rasa server refused the console's token (TENANTLINE_RASA_TOKEN)")
                if response.status >= 400:
                    raise RasaUnavailable(f"the Rasa server answered {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            # The URL carries the token, so only the kind of failure is reported.
            raise RasaUnavailable(f"the Rasa server could not be reached ({type(error).__name__})") from None

    async def tracker(self, sender_id: str) -> dict[str, Any]:
        """Return the conversation's tracker state with every event (Rasa's `include_events=ALL`).

        Raises:
            RasaUnavailable: If Rasa cannot be reached or answers with an error.
        """
        state = await self._call("GET", self._url(sender_id, "tracker"), params=self._params(include_events="ALL"))
        if not isinstance(state, dict):
            raise RasaUnavailable("the Rasa server answered with something that is not a tracker")
        return state

    async def append(self, sender_id: str, events: list[dict[str, Any]]) -> None:
        """Append events to a conversation without running their side effects.

        Raises:
            RasaUnavailable: If Rasa cannot be reached or answers with an error.
        """
        await self._call(
            "POST",
            self._url(sender_id, "tracker/events"),
            params=self._params(include_events="NONE", execute_side_effects="false"),
            json=events,
        )

    async def pause(self, sender_id: str) -> None:
        """Silence the assistant in a conversation (ConversationPaused).

        Raises:
            RasaUnavailable: If the event could not be appended.
        """
        await self.append(sender_id, [{"event": "pause", "timestamp": time.time()}])

    async def resume(self, sender_id: str) -> None:
        """Let the assistant answer in a conversation again (ConversationResumed).

        Raises:
            RasaUnavailable: If the event could not be appended.
        """
        await self.append(sender_id, [{"event": "resume", "timestamp": time.time()}])

    async def record_staff_message(
        self, sender_id: str, text: str, *, username: str, name: str, channel: str, outbox_id: int
    ) -> None:
        """Add a staff reply to the conversation's history as a bot utterance marked with `STAFF_KEY`.

        Raises:
            RasaUnavailable: If the event could not be appended.
        """
        staff = {"username": username, "name": name, "channel": channel, "outbox_id": outbox_id}
        await self.append(
            sender_id,
            [{"event": "bot", "text": text, "timestamp": time.time(), "metadata": {STAFF_KEY: staff}}],
        )

    async def status(self) -> dict[str, Any]:
        """Return the server's `GET /status`: the loaded model's file name and id.

        Raises:
            RasaUnavailable: If Rasa cannot be reached, refuses the token or has no model loaded.
        """
        state = await self._call("GET", f"{self.base_url}/status", params=self._params())
        if not isinstance(state, dict):
            raise RasaUnavailable("the Rasa server answered with something that is not its status")
        return state

    async def replace_model(self, model_file: str, *, timeout: float = MODEL_LOAD_TIMEOUT_SECONDS) -> None:
        """Ask the server to load another model archive (`PUT /model`), which it swaps in once loaded.

        Rasa builds the new agent first and then replaces the old one, keeping the lock store; conversations live
        in the tracker store, so one in progress carries on with the new model at its next message.

        Args:
            model_file: Path of the archive, as the Rasa server's machine sees it.
            timeout: Seconds to wait for the model to load.

        Raises:
            RasaUnavailable: If Rasa cannot be reached, refuses the token or cannot load the model.
        """
        await self._call(
            "PUT", f"{self.base_url}/model", params=self._params(), json={"model_file": model_file}, timeout=timeout
        )
