"""A fake Telegram Bot API that fails a share of sendMessage calls in each way a real send can go wrong.

`ChaosTelegram` is `tests.support.fake_telegram.FakeTelegram` (the same methods, records and inspection) plus
`chaos(rate, ...)`: about `rate` of the distinct messages' first sendMessage calls fail once, each in one of
these ways (`KINDS`), the first two before Telegram takes the message and the last two after:

- "5xx": Telegram answers 500/502 and does not take the message. A retry is safe.
- "drop": the connection is closed after the request is read, without an answer, and the message is not taken.
  The client cannot tell this from "timeout" below; a retry is safe here, but only by luck.
- "slow": the message is taken and answered after `slow` seconds: longer than python-telegram-bot's default read
  time-out (5 s), shorter than TenantLine's (channels/telegram_sender.py), so TenantLine waits instead of retrying.
- "timeout": the message is taken and the answer held back for `hang` seconds, past the client's read time-out.
  The client must retry without knowing; the Bot API has no idempotency key, so the tenant gets it twice.

A message is identified by chat and text; each is failed at most once, so the outbox's back-off bounds a test's
time. `taken_after_fault` counts the "timeout" faults by chat and text: the only duplicates a correct client can
produce.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from typing import Any

from tests.support.fake_telegram import FakeTelegram, _Handler, _State

KINDS = ("5xx", "drop", "slow", "timeout")
TAKEN_KINDS = frozenset({"slow", "timeout"})
"""Faults after which Telegram has the message."""


@dataclass
class _Chaos:
    rate: float = 0.0
    shares: dict[str, float] = field(default_factory=lambda: dict.fromkeys(KINDS, 0.25))
    slow: float = 8.0
    hang: float = 20.0
    random: random.Random = field(default_factory=lambda: random.Random(8))
    decided: set[tuple[str, str]] = field(default_factory=set)
    injected: Counter[str] = field(default_factory=Counter)
    by_message: dict[tuple[str, str], str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def decide(self, chat: str, text: str) -> str | None:
        """Return how this call fails, if it does (each chat and text is decided once)."""
        key = (chat, text)
        with self.lock:
            if not self.rate or key in self.decided:
                return None
            self.decided.add(key)
            if self.random.random() >= self.rate:
                return None
            pick = self.random.random() * sum(self.shares.values())
            for kind in KINDS:
                pick -= self.shares.get(kind, 0.0)
                if pick < 0:
                    break
            self.injected[kind] += 1
            self.by_message[key] = kind
            return kind


class _ChaosHandler(_Handler):
    server: _ChaosServer  # type: ignore[assignment]
    _fault: str | None = None

    def _answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[HTTPStatus, dict[str, Any]]:
        self._fault = None
        if method == "sendMessage" and token == self.server.state.token:
            self._fault = self.server.chaos.decide(str(params.get("chat_id")), str(params.get("text")))
        if self._fault == "5xx":
            status = self.server.chaos.random.choice((HTTPStatus.INTERNAL_SERVER_ERROR, HTTPStatus.BAD_GATEWAY))
            return status, {"ok": False, "error_code": int(status), "description": status.phrase}
        if self._fault == "drop":
            # Recorded as not taken; the client gets no answer at all (see `_reply`).
            return HTTPStatus.SERVICE_UNAVAILABLE, {"ok": False, "error_code": 503, "description": "dropped"}
        return super()._answer(token, method, params)

    def _reply(self, status: HTTPStatus, body: dict[str, Any]) -> None:
        fault, self._fault = self._fault, None
        if fault == "drop":
            self.close_connection = True
            return
        if fault in TAKEN_KINDS:
            time.sleep(self.server.chaos.slow if fault == "slow" else self.server.chaos.hang)
        # The client may have given up waiting, as it should after a "timeout".
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super()._reply(status, body)


class _ChaosServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _State, chaos: _Chaos) -> None:
        super().__init__(("127.0.0.1", 0), _ChaosHandler)
        self.state = state
        self.chaos = chaos


class ChaosTelegram(FakeTelegram):
    """The fake Bot API, able to fail sends as `chaos` says."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        super().__init__(token)
        self._server.server_close()  # the plain fake's socket; this one serves with the chaos handler
        self._chaos = _Chaos()
        self._server = _ChaosServer(self.state, self._chaos)  # type: ignore[assignment]
        self._thread = threading.Thread(target=self._server.serve_forever, name="chaos-telegram", daemon=True)

    def start(self) -> ChaosTelegram:
        """Start serving in a background thread."""
        super().start()
        return self

    def chaos(
        self,
        rate: float,
        *,
        shares: dict[str, float] | None = None,
        slow: float = 8.0,
        hang: float = 20.0,
        seed: int = 8,
    ) -> None:
        """Fail about `rate` of the distinct messages' first sends, the kinds weighted by `shares` (see `KINDS`).

        Raises:
            ValueError: For a rate outside 0-1, an unknown kind, or negative or all-zero shares.
        """
        chosen = dict.fromkeys(KINDS, 0.25) if shares is None else dict(shares)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"the failure rate must be between 0 and 1, not {rate}")
        unknown = set(chosen) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; the kinds are {', '.join(KINDS)}")
        if any(share < 0 for share in chosen.values()) or (rate and not sum(chosen.values())):
            raise ValueError("fault shares must be 0 or more, and not all 0")
        with self._chaos.lock:
            self._chaos.rate = rate
            self._chaos.shares = chosen
            self._chaos.slow = slow
            self._chaos.hang = hang
            self._chaos.random = random.Random(seed)
            self._chaos.decided.clear()
            self._chaos.injected.clear()
            self._chaos.by_message.clear()

    @property
    def injected(self) -> dict[str, int]:
        """Return how many faults of each kind were injected since `chaos` was last called."""
        with self._chaos.lock:
            return {kind: self._chaos.injected[kind] for kind in KINDS}

    def faults(self) -> dict[tuple[str, str], str]:
        """Return the fault injected for each (chat, text) that got one."""
        with self._chaos.lock:
            return dict(self._chaos.by_message)

    def taken_after_fault(self) -> Counter[tuple[str, str]]:
        """Return, by (chat, text), the faults after which Telegram had the message but the client never heard."""
        with self._chaos.lock:
            return Counter(key for key, kind in self._chaos.by_message.items() if kind == "timeout")

    def taken(self) -> Counter[tuple[str, str]]:
        """Return how often each (chat, text) was taken by Telegram (every accepted sendMessage)."""
        return Counter((str(params.get("chat_id")), str(params.get("text"))) for params in self.sent())
