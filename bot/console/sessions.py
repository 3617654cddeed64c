"""Signed-in sessions, kept in the console process's memory and named by an unguessable cookie.

The cookie holds only a random token; the store keeps its SHA-256, the username and the session's CSRF token.
Keeping sessions server-side means signing out really ends a session (a copied cookie stops working), and that a
console restart signs everyone out, which is acceptable for a single-process staff tool. The role is not stored:
it is read from the housing database on every request, so disabling an account or changing a role takes effect at
once.

A session ends after `idle` without a request or `lifetime` after sign-in, whichever comes first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

TOKEN_BYTES = 32
MAX_SESSIONS = 5000
"""A ceiling on stored sessions, so a flood of sign-ins cannot exhaust the console's memory."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """Return a fresh random token for a cookie or a form."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Return whether two tokens are equal, in constant time; a missing token never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


@dataclass(frozen=True)
class Flash:
    """A one-off message shown on the next page: "success", "warning" or "error"."""

    level: str
    text: str


@dataclass
class ConsoleSession:
    """One signed-in member of staff in one browser."""

    username: str
    csrf_token: str
    created_at: float
    last_seen: float
    flashes: list[Flash] = field(default_factory=list)

    def flash(self, level: str, text: str) -> None:
        """Queue a message for the next page this session sees."""
        self.flashes.append(Flash(level, text))

    def take_flashes(self) -> list[Flash]:
        """Return the queued messages and forget them."""
        taken, self.flashes = self.flashes, []
        return taken


class SessionStore:
    """The console's sessions; used only from the server's event loop, so it needs no lock."""

    def __init__(self, *, idle: float, lifetime: float, clock: Callable[[], float] = time.monotonic) -> None:
        """Create an empty store.

        Args:
            idle: Seconds without a request after which a session ends.
            lifetime: Seconds after sign-in after which a session ends.
            clock: Monotonic seconds (tests pass a fake clock).
        """
        self._idle = idle
        self._lifetime = lifetime
        self._clock = clock
        self._sessions: dict[str, ConsoleSession] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def _expired(self, session: ConsoleSession, now: float) -> bool:
        return now - session.last_seen > self._idle or now - session.created_at > self._lifetime

    def _prune(self, now: float) -> None:
        for key in [key for key, session in self._sessions.items() if self._expired(session, now)]:
            del self._sessions[key]
        if len(self._sessions) >= MAX_SESSIONS:
            # The least recently used go first: they are the likeliest to be abandoned.
            oldest = sorted(self._sessions, key=lambda key: self._sessions[key].last_seen)
            for key in oldest[: len(self._sessions) - MAX_SESSIONS + 1]:
                del self._sessions[key]

    def create(self, username: str) -> tuple[str, ConsoleSession]:
        """Start a session for `username`; return the cookie token and the session."""
        now = self._clock()
        self._prune(now)
        token = new_token()
        session = ConsoleSession(username=username, csrf_token=new_token(), created_at=now, last_seen=now)
        self._sessions[_digest(token)] = session
        return token, session

    def get(self, token: str | None, *, touch: bool = True) -> ConsoleSession | None:
        """Return the live session named by a cookie token, or None.

        Args:
            token: The cookie's token.
            touch: Count this as activity (False for the pages' own background refreshes, so a tablet left open
                on the queue still signs out when nobody uses it).
        """
        if not token:
            return None
        key = _digest(token)
        session = self._sessions.get(key)
        if session is None:
            return None
        now = self._clock()
        if self._expired(session, now):
            del self._sessions[key]
            return None
        if touch:
            session.last_seen = now
        return session

    def delete(self, token: str | None) -> None:
        """End the session named by a cookie token, if it exists."""
        if token:
            self._sessions.pop(_digest(token), None)

    def delete_user(self, username: str) -> int:
        """End every session of `username` (e.g. when the account is disabled); return how many."""
        keys = [key for key, session in self._sessions.items() if session.username == username]
        for key in keys:
            del self._sessions[key]
        return len(keys)


class SignInThrottle:
    """Counts failed sign-ins per client address, so one device cannot try passwords on many accounts.

    The housing service locks an account after five wrong passwords; this adds a limit across accounts.
    """

    def __init__(
        self, *, limit: int = 20, window: float = 15 * 60, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Allow `limit` failures per address within `window` seconds."""
        self._limit = limit
        self._window = window
        self._clock = clock
        self._failures: dict[str, list[float]] = {}

    def _recent(self, address: str) -> list[float]:
        cutoff = self._clock() - self._window
        recent = [moment for moment in self._failures.get(address, []) if moment > cutoff]
        if recent:
            self._failures[address] = recent
        else:
            self._failures.pop(address, None)
        return recent

    def blocked(self, address: str) -> bool:
        """Return whether `address` has used up its failures for now."""
        return len(self._recent(address)) >= self._limit

    def failed(self, address: str) -> None:
        """Note a failed sign-in from `address`."""
        self._failures[address] = [*self._recent(address), self._clock()]
